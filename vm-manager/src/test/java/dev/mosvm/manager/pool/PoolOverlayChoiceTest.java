package dev.mosvm.manager.pool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.manager.network.HostPort;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.RunningInstance;
import dev.mosvm.manager.hypervisor.PeerForwards;
import dev.mosvm.manager.instance.InstanceLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which overlay `pool init` asks for, and the plain pools an appliance behind QEMU's NAT cannot join or found. */
class PoolOverlayChoiceTest {
    static final RunningInstance LIBVIRT = new RunningInstance("a", new InstanceLayout(Path.of("/h/a")), "192.168.122.40", 7443, 22, true, null);
    static final RunningInstance QEMU = new RunningInstance("b", new InstanceLayout(Path.of("/h/b")), "127.0.0.1", 40001, 40002, false,
            new PeerForwards("10.213.77.11", 7443, 51820));
    static final RunningInstance QEMU_NO_LAN = new RunningInstance("c", new InstanceLayout(Path.of("/h/c")), "127.0.0.1", 40003, 40004, false, null);

    static PoolMembership membership(String overlay) {
        return new PoolMembership("lab", "b", "10.0.2.15", 7946, List.of(new PoolMembership.Key(1, "k")), 1, List.of("a"), "lan", 1000, 64,
                "a", "m", "n", 1, List.of(), false, "ak", null, "cert", 0, List.of(), overlay, null, Map.of());
    }

    @Test
    void wireguardBehindQemusNatPlainOnLibvirtsNetworkUnlessAsked() {
        assertEquals(PoolInitRequest.OVERLAY_WIREGUARD, PoolService.overlayMode(null, QEMU));
        assertEquals(PoolInitRequest.OVERLAY_PLAIN, PoolService.overlayMode(null, LIBVIRT));
        assertEquals(PoolInitRequest.OVERLAY_WIREGUARD, PoolService.overlayMode("wireguard", LIBVIRT));
        assertEquals(PoolInitRequest.OVERLAY_WIREGUARD, PoolService.overlayMode("wireguard", QEMU));
        assertEquals(PoolInitRequest.OVERLAY_PLAIN, PoolService.overlayMode("plain", LIBVIRT));
    }

    @Test
    void plainBehindQemusNatIsRefusedInOneLine() {
        MosvmException e = assertThrows(MosvmException.class, () -> PoolService.overlayMode("plain", QEMU));
        assertEquals(ExitCodes.INVALID_INPUT, e.exitCode());
        assertEquals("--overlay plain: appliance 'b' runs under the qemu driver, behind QEMU's user-mode NAT, where other workstations "
                + "reach it only over the WireGuard overlay; leave --overlay out or use wireguard", e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals(ExitCodes.INVALID_INPUT, assertThrows(MosvmException.class, () -> PoolService.overlayMode("off", LIBVIRT)).exitCode());
    }

    @Test
    void aPlainPoolsAnswerStopsAJoinerBehindQemusNatBeforeItsAgentIsConfigured() {
        HostPort at = new HostPort("10.213.77.12", 7443);
        MosvmException e = assertThrows(MosvmException.class, () -> PoolService.checkOverlay(membership(null), QEMU, at));
        assertEquals(ExitCodes.BAD_STATE, e.exitCode());
        assertEquals("pool 'lab' at 10.213.77.12:7443 was founded without an overlay; appliance 'b' is behind QEMU's NAT and can join "
                + "only a pool founded with `mosvm pool init --overlay wireguard`", e.getMessage());
        assertThrows(MosvmException.class, () -> PoolService.checkOverlay(membership(PoolInitRequest.OVERLAY_PLAIN), QEMU, at));
        assertDoesNotThrow(() -> PoolService.checkOverlay(membership(PoolInitRequest.OVERLAY_WIREGUARD), QEMU, at));
        assertDoesNotThrow(() -> PoolService.checkOverlay(membership(null), LIBVIRT, at), "libvirt's network: a plain pool is fine");
    }

    @Test
    void anApplianceBehindQemusNatPoolsThroughItsLanForwardsAndNotWithoutThem() {
        assertEquals(LIBVIRT, LIBVIRT.poolable());
        assertEquals("192.168.122.40", LIBVIRT.joinAddress(), "libvirt: its own address, the agent's own port");
        assertEquals(QEMU, QEMU.poolable());
        assertEquals("10.213.77.11:7443", QEMU.joinAddress(), "behind the NAT: the LAN forward, with its port");
        MosvmException e = assertThrows(MosvmException.class, QEMU_NO_LAN::poolable);
        assertEquals(ExitCodes.BAD_STATE, e.exitCode());
        assertEquals("appliance 'c' runs under the qemu driver and its host had no LAN address when it came up: other workstations "
                + "cannot reach it, so it cannot be in a pool", e.getMessage());
        assertEquals("connect this host to a network, then bring the appliance up again: mosvm down c && mosvm up c", e.hint());
    }
}

package dev.mosvm.manager.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.Json;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.PeerForwards;
import dev.mosvm.manager.hypervisor.VmSpec;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.MosvmHome;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ports the qemu driver forwards on the host's LAN address for other workstations: the
 * agent's (joins, TCP) and WireGuard's (UDP, the same port on both sides), each the customary
 * one or the next free; and that the host's own access stays on loopback.
 */
class LanForwardsTest {
    @TempDir Path dir;

    @Test
    void theCustomaryPortsWhenFreeTheNextFreeOtherwiseTheSameNumberInsideForWireGuard() {
        assertEquals(List.of(new QemuCommandLine.Forward("tcp", "192.168.1.20", 7443, 7443), new QemuCommandLine.Forward("udp", "192.168.1.20", 51820, 51820)),
                QemuHypervisor.lanForwards("192.168.1.20", 7443, 51820, p -> true, p -> true));
        Set<Integer> taken = Set.of(7443, 7444, 51820);
        assertEquals(List.of(new QemuCommandLine.Forward("tcp", "192.168.1.20", 7445, 7443), new QemuCommandLine.Forward("udp", "192.168.1.20", 51821, 51821)),
                QemuHypervisor.lanForwards("192.168.1.20", 7443, 51820, p -> !taken.contains(p), p -> !taken.contains(p)));
    }

    @Test
    void noFreePortInTheSpanIsOneLineNamingTheRange() {
        MosvmException e = assertThrows(MosvmException.class,
                () -> QemuHypervisor.lanForwards("192.168.1.20", 7443, 51820, p -> true, p -> false));
        assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
        assertEquals("no free UDP port on 192.168.1.20 from 51820 to 51919 to forward to the appliance (WireGuard)", e.getMessage());
        MosvmException tcp = assertThrows(MosvmException.class,
                () -> QemuHypervisor.lanForwards("192.168.1.20", 7443, 51820, p -> false, p -> true));
        assertEquals("no free TCP port on 192.168.1.20 from 7443 to 7542 to forward to the appliance (joins)", tcp.getMessage());
        assertEquals(OptionalInt.empty(), QemuHypervisor.firstFree(65535, p -> p != 65535), "never past 65535");
    }

    @Test
    void aPortAnotherSocketHoldsIsSeenTaken() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, 0)); ServerSocket tcp = new ServerSocket(0, 0, lo)) {
            assertFalse(QemuHypervisor.udpFree(lo, udp.getLocalPort()));
            assertFalse(QemuHypervisor.tcpFree(lo, tcp.getLocalPort()));
            int next = QemuHypervisor.firstFree(udp.getLocalPort(), p -> QemuHypervisor.udpFree(lo, p)).orElseThrow();
            assertTrue(next > udp.getLocalPort(), "moved past the held port: " + next);
        }
    }

    @Test
    void theLanForwardsAreTheJoinAndOverlayPorts() {
        assertEquals(Optional.empty(), QemuHypervisor.peerForwards(List.of()), "no LAN address");
        PeerForwards f = QemuHypervisor.peerForwards(List.of(new QemuCommandLine.Forward("tcp", "10.213.77.11", 7444, 7443),
                new QemuCommandLine.Forward("udp", "10.213.77.11", 51821, 51821))).orElseThrow();
        assertEquals(new PeerForwards("10.213.77.11", 7444, 51821), f);
        assertEquals("10.213.77.11:7444", f.joinAddress());
        assertEquals("10.213.77.11:51821", f.overlayEndpoint());
    }

    MosvmHome home() {
        return new MosvmHome(dir.resolve("home"), dir.resolve("cache"), dir.resolve("agent.jar"), dir.resolve("r.yaml"));
    }

    /** What `up` would define for instance {@code name} in {@link #home}. */
    VmSpec spec(String name) throws Exception {
        Path inst = Files.createDirectories(home().instance(name).dir());
        return new VmSpec(InstanceConfig.domainName(name), "8d2c6f0e-7c1e-4a53-9a55-0f4b2b1d1c11", name, 1, 512, Accelerator.TCG,
                Path.of("/c/vmlinuz"), Path.of("/c/initrd.img"), "console=ttyS0", inst.resolve("disk.qcow2"), "52:54:00:01:02:03", "default",
                inst.resolve("serial.log"), Map.of(), inst, 100, null, 0);
    }

    @Test
    void defineForwardsBothPortsOnTheLanAddressAndTheHostKeepsReachingTheAgentOnLoopback() throws Exception {
        MosvmHome home = home();
        VmSpec spec = spec("a");
        String vm = spec.vm();
        // loopback stands in for the LAN address, so the driver's probes bind real sockets; 51820 is held here
        Inet4Address lan = (Inet4Address) InetAddress.getByName("127.0.0.1");
        try (DatagramSocket held = heldOrNull(lan, 51820)) {
            QemuHypervisor hv = new QemuHypervisor(home, HostOs.LINUX, () -> Optional.of(lan));
            hv.define(spec);
            PeerForwards f = hv.peerForwards(vm).orElseThrow();
            assertEquals("127.0.0.1", f.lanAddress());
            assertNotEquals(51820, f.overlayPort(), "51820 is taken: the next free port");
            assertTrue(f.overlayPort() > 51820 && f.overlayPort() < 51820 + QemuHypervisor.PORT_SPAN, "" + f.overlayPort());
            assertTrue(f.joinPort() >= 7443 && f.joinPort() < 7443 + QemuHypervisor.PORT_SPAN, "" + f.joinPort());
            QemuHypervisor.Definition d = Json.MAPPER.readValue(home.instance("a").qemuDefinition().toFile(), QemuHypervisor.Definition.class);
            String netdev = d.args().get(d.args().indexOf("-netdev") + 1);
            assertTrue(netdev.contains(",hostfwd=tcp:127.0.0.1:" + f.joinPort() + "-10.0.2.15:7443"), netdev);
            assertTrue(netdev.contains(",hostfwd=udp:127.0.0.1:" + f.overlayPort() + "-10.0.2.15:" + f.overlayPort()), netdev);
            int agentOnLoopback = hv.hostPort(vm, 7443);
            assertNotEquals(f.joinPort(), agentOnLoopback, "the host's own access is the loopback forward, chosen apart");
            assertTrue(netdev.startsWith("user,id=n0,hostfwd=tcp:127.0.0.1:" + agentOnLoopback + "-10.0.2.15:7443,"), netdev);
        }
    }

    @Test
    void withoutALanAddressOnlyTheHostsOwnForwardsAreMade() throws Exception {
        MosvmHome home = home();
        VmSpec spec = spec("b");
        String vm = spec.vm();
        QemuHypervisor hv = new QemuHypervisor(home, HostOs.LINUX, Optional::empty);
        hv.define(spec);
        assertEquals(Optional.empty(), hv.peerForwards(vm));
        assertTrue(hv.hostPort(vm, 7443) > 0 && hv.hostPort(vm, 7443) != 7443, "the agent on a free loopback port");
        QemuHypervisor.Definition d = Json.MAPPER.readValue(home.instance("b").qemuDefinition().toFile(), QemuHypervisor.Definition.class);
        assertEquals(2, d.forwards().size(), d.forwards().toString());
        assertFalse(d.args().get(d.args().indexOf("-netdev") + 1).contains("udp"));
    }

    /** A socket holding {@code port} on {@code a}, or null where something else holds it already (it is taken either way). */
    static DatagramSocket heldOrNull(InetAddress a, int port) {
        try {
            return new DatagramSocket(new InetSocketAddress(a, port));
        } catch (java.net.SocketException e) {
            return null;
        }
    }
}

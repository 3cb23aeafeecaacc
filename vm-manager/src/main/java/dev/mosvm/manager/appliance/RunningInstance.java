package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentProtocol;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.PeerForwards;
import dev.mosvm.manager.hypervisor.VmState;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;

/**
 * An instance that runs and has an address (its DHCP lease, or loopback with forwarded ports):
 * where reaching its agent or its shell starts. Anything else is a state error (exit 3) that
 * says how to get there. {@code reachableByPeers}: other appliances reach it at its own address
 * (libvirt's network); else it is behind QEMU's user-mode NAT and reached through
 * {@code forwards} on its host's LAN address (null: its host had none at its last `up`).
 */
public record RunningInstance(String name, InstanceLayout layout, String address, int agentPort, int sshPort, boolean reachableByPeers,
                              PeerForwards forwards) {
    static RunningInstance find(InstanceStore store, Hypervisor hv, String name) {
        InstanceLayout l = store.existing(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm) != VmState.RUNNING) throw MosvmException.state("instance '" + name + "' is not running", "start it: mosvm up " + name);
        String address = hv.address(vm).orElseThrow(() -> MosvmException.state("instance '" + name + "' has no address yet", null));
        return new RunningInstance(name, l, address, hv.hostPort(vm, AgentProtocol.PORT), hv.hostPort(vm, ShellAccess.SSH_PORT), hv.reachableByPeers(vm),
                hv.peerForwards(vm).orElse(null));
    }

    /** Behind QEMU's user-mode NAT (the qemu driver): in a pool only over the WireGuard overlay. */
    public boolean behindNat() {
        return !reachableByPeers;
    }

    /**
     * This instance, if other workstations' appliances can reach it (at its own address, or
     * through its LAN forwards over the overlay); a state error saying why not otherwise.
     */
    public RunningInstance poolable() {
        if (reachableByPeers || forwards != null) return this;
        throw MosvmException.state("appliance '" + name + "' runs under the qemu driver and its host had no LAN address when it came up: "
                + "other workstations cannot reach it, so it cannot be in a pool",
                "connect this host to a network, then bring the appliance up again: mosvm down " + name + " && mosvm up " + name);
    }

    /** Where other workstations join its pool: its LAN forward (LAN:PORT) behind NAT, else its own address (the agent's port). */
    public String joinAddress() {
        return behindNat() && forwards != null ? forwards.joinAddress() : address;
    }
}

package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentProtocol;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.VmState;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;

/**
 * An instance that runs and has an address (its DHCP lease, or loopback with forwarded ports):
 * where reaching its agent or its shell starts. Anything else is a state error (exit 3) that
 * says how to get there.
 */
public record RunningInstance(String name, InstanceLayout layout, String address, int agentPort, int sshPort, boolean reachableByPeers) {
    static RunningInstance find(InstanceStore store, Hypervisor hv, String name) {
        InstanceLayout l = store.existing(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm) != VmState.RUNNING) throw MosvmException.state("instance '" + name + "' is not running", "start it: mosvm up " + name);
        String address = hv.address(vm).orElseThrow(() -> MosvmException.state("instance '" + name + "' has no address yet", null));
        return new RunningInstance(name, l, address, hv.hostPort(vm, AgentProtocol.PORT), hv.hostPort(vm, ShellAccess.SSH_PORT), hv.reachableByPeers(vm));
    }

    /** This instance, if other appliances can reach it; a state error saying why not otherwise. */
    public RunningInstance poolable() {
        if (reachableByPeers) return this;
        throw MosvmException.state("appliance '" + name + "' runs under the qemu driver, behind QEMU's user-mode NAT: other appliances "
                + "cannot reach it, so it cannot be in a pool yet", "for a pool, bring appliances up with --driver libvirt (docs/qemu-driver.md)");
    }
}

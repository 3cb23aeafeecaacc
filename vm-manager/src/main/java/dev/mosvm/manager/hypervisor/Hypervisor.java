package dev.mosvm.manager.hypervisor;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything mosvm asks of a hypervisor. Commands and services use only this, so a
 * plain-QEMU driver (for macOS and Windows, where libvirt cannot host VMs) can be added
 * without touching them. Methods take mosvm's VM names; a driver maps them to its own.
 */
public interface Hypervisor extends AutoCloseable {
    /** Where this driver is connected, for messages (e.g. "qemu:///system"). */
    String describe();

    /** Whether the driver runs QEMU as root and so can read files in a root-only home. */
    boolean runsAsRoot();

    /** Defines (or redefines) the VM; returns the definition as the driver registered it. */
    String define(VmSpec spec);

    void start(String vm);

    VmState state(String vm);

    /** Asks the guest to shut down (ACPI power button). */
    void requestShutdown(String vm);

    /** Stops the VM at once, like pulling the plug. */
    void powerOff(String vm);

    /** Removes the definition (the VM must be off). */
    void undefine(String vm);

    /**
     * Where the host reaches the guest: its IPv4 address from the network's DHCP lease (libvirt),
     * or loopback, where the guest's ports are forwarded (QEMU's user-mode network).
     */
    Optional<String> address(String vm);

    /** The port on {@link #address} that reaches the guest's {@code guestPort}: the same one unless it is forwarded. */
    default int hostPort(String vm, int guestPort) {
        return guestPort;
    }

    /**
     * Whether other appliances reach this VM at its own address (libvirt's network); behind
     * QEMU's user-mode NAT they do not, and reach it only through {@link #peerForwards}, over
     * the pool's WireGuard overlay.
     */
    default boolean reachableByPeers(String vm) {
        return true;
    }

    /** The ports forwarded on the host's LAN address for other workstations (the qemu driver); empty where there are none. */
    default Optional<PeerForwards> peerForwards(String vm) {
        return Optional.empty();
    }

    /** Host memory the running VM's process uses (RSS), in KiB. */
    OptionalLong hostRssKb(String vm);

    /** Names of all VMs this driver holds that mosvm created (by its metadata). */
    List<String> managedVms();

    @Override
    void close();
}

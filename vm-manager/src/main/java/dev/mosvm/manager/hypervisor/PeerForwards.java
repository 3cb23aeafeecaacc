package dev.mosvm.manager.hypervisor;

/**
 * How other workstations reach a VM behind its host's NAT (the qemu driver): ports forwarded on
 * the host's LAN address to the guest's agent (joins) and to its WireGuard port, whose host and
 * guest ports are the same number.
 */
public record PeerForwards(String lanAddress, int joinPort, int overlayPort) {
    /** Where `mosvm join` reaches the guest's agent: LAN:PORT. */
    public String joinAddress() {
        return lanAddress + ":" + joinPort;
    }

    /** Where other appliances reach the guest's WireGuard port: LAN:PORT. */
    public String overlayEndpoint() {
        return lanAddress + ":" + overlayPort;
    }
}

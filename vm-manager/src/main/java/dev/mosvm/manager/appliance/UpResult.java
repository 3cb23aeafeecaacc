package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentFacts;
import dev.mosvm.manager.hypervisor.PeerForwards;

/**
 * A ready appliance and how long each phase took (seconds). {@code forwards}: the ports other
 * workstations reach it through (the qemu driver; null for libvirt, or with no LAN address);
 * {@code endpoint}: the WireGuard endpoint given with {@code --endpoint} (null: none).
 */
public record UpResult(String name, String address, String accel, AgentFacts facts, Timings timings, PeerForwards forwards, String endpoint) {
    /**
     * @param image       finding (or building) and verifying the image
     * @param define      creating the instance and defining the domain
     * @param start       libvirt's start call (QEMU process up)
     * @param bootToUserland guest kernel start to init (from the guest's own clock)
     * @param userlandToAgentReady init start to the agent serving requests
     * @param startToReady from the start call to the first authenticated answer
     */
    public record Timings(double image, double define, double start, double bootToUserland,
                          double userlandToAgentReady, double startToReady) {}
}

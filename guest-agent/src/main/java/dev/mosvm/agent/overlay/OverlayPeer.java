package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import java.net.Inet4Address;

/**
 * A member as the overlay needs it: its certified WireGuard key and overlay address, and where
 * it says its WireGuard port is reached (null: nowhere known; it reaches this node first).
 */
public record OverlayPeer(String node, String key, Inet4Address address, Endpoint endpoint) {
    public OverlayPeer {
        WireGuardKeys.decodeKey(key);
        if (!OverlayAddresses.contains(address)) throw new IllegalArgumentException("a peer's address is outside the overlay");
    }
}

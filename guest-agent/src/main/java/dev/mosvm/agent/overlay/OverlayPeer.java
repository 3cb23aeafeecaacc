package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import java.net.Inet4Address;
import java.util.List;

/**
 * A member as the overlay needs it: its certified WireGuard key and overlay address, and where
 * it says its WireGuard port is reached (null: nowhere known; it reaches this node first).
 * {@code relayed}: the addresses of members this one relays to and from this node (both
 * unreachable from outside): their packets go through this peer, so its allowed IPs hold theirs.
 */
public record OverlayPeer(String node, String key, Inet4Address address, Endpoint endpoint, List<Inet4Address> relayed) {
    /** A member reached directly, relaying nobody. */
    public OverlayPeer(String node, String key, Inet4Address address, Endpoint endpoint) {
        this(node, key, address, endpoint, List.of());
    }

    /** What WireGuard routes to and accepts from this peer: its own address, then those it relays, each a /32. */
    public List<String> allowedIps() {
        List<String> out = new java.util.ArrayList<>(List.of(address.getHostAddress() + "/32"));
        for (Inet4Address a : relayed) out.add(a.getHostAddress() + "/32");
        return out;
    }

    public OverlayPeer {
        relayed = relayed == null ? List.of() : List.copyOf(relayed);
        for (Inet4Address a : relayed) {
            if (!OverlayAddresses.contains(a)) throw new IllegalArgumentException("a relayed address is outside the overlay");
        }
        WireGuardKeys.decodeKey(key);
        if (!OverlayAddresses.contains(address)) throw new IllegalArgumentException("a peer's address is outside the overlay");
    }
}

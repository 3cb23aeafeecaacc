package dev.mosvm.agent.pool;

import dev.mosvm.api.Endpoint;
import dev.mosvm.agent.overlay.OverlayDevice;
import dev.mosvm.agent.overlay.OverlayPeer;
import dev.mosvm.agent.overlay.WgDump;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.security.SecureRandom;

/** An overlay end that records what the agent asks of it, for tests without WireGuard. */
final class RecordingOverlay implements OverlayDevice {
    final String key;
    final Endpoint endpoint;
    volatile Inet4Address upAs;
    volatile boolean removed;
    volatile List<OverlayPeer> peers = List.of();
    volatile String failUp;

    RecordingOverlay(String endpoint) {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        this.key = Base64.getEncoder().encodeToString(k);
        this.endpoint = Endpoint.parse(endpoint);
    }

    /** The end of an appliance with WireGuard key {@code key} (the same appliance, restarted). */
    RecordingOverlay(String endpoint, String key) {
        this.key = key;
        this.endpoint = Endpoint.parse(endpoint);
    }

    @Override public String publicKey() { return key; }

    @Override public Endpoint endpoint() { return endpoint; }

    @Override
    public void up(Inet4Address address) throws java.io.IOException {
        if (failUp != null) throw new java.io.IOException(failUp);
        upAs = address;
        removed = false;
    }

    @Override
    public void peers(Collection<OverlayPeer> members) {
        peers = new ArrayList<>(members);
    }

    @Override
    public void down() {
        removed = true;
        upAs = null;
    }

    @Override
    public Collection<WgDump.Peer> status() {
        return List.of();
    }

    OverlayPeer peer(String node) {
        return peers.stream().filter(p -> p.node().equals(node)).findFirst().orElse(null);
    }
}

package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the members this node believes (certified keys and addresses, advertised endpoints)
 * and the peers the kernel has into the changes that make them agree. Pure: it remembers only
 * which endpoint each member last advertised, so that WireGuard's roaming (a peer's endpoint
 * follows its latest authenticated packet, which is how a member behind a NAT is reached) is
 * overridden only when the member itself says it moved, never every round.
 */
public final class OverlayPlan {
    /** Add or update a peer; {@code endpoint} null leaves the kernel's as it is. */
    public record Put(OverlayPeer peer, Endpoint endpoint) implements Change {}

    public record Remove(String key) implements Change {}

    public sealed interface Change permits Put, Remove {}

    private final Map<String, Endpoint> advertised = new HashMap<>();

    /** The kernel took {@code p}'s endpoint: it is not set again until the member advertises another. */
    public void applied(Put p) {
        if (p.endpoint() != null) advertised.put(p.peer().key(), p.endpoint());
    }

    /** A handshake this recent means the kernel's endpoint for a peer works. */
    static final long WORKING_SECONDS = 180;

    /**
     * The changes that make {@code current} what {@code wanted} says (this node itself must not be
     * in {@code wanted}), at {@code nowSeconds} (epoch seconds, as {@code wg} reports handshakes).
     */
    public List<Change> plan(Collection<OverlayPeer> wanted, Collection<WgDump.Peer> current, long nowSeconds) {
        Map<String, WgDump.Peer> have = new HashMap<>();
        for (WgDump.Peer p : current) have.put(p.key(), p);
        List<Change> out = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (OverlayPeer w : wanted) {
            if (!keys.add(w.key())) continue; // one seat per key: the first member named with it
            WgDump.Peer p = have.get(w.key());
            java.util.Set<String> allowed = new java.util.HashSet<>(w.allowedIps());
            Endpoint before = advertised.get(w.key());
            // a member's first advertisement does not override a path that works: behind a NAT it
            // advertises an address nobody reaches, and its packets taught the kernel the real one
            boolean working = p != null && p.endpoint() != null && p.latestHandshakeSeconds() > 0
                    && nowSeconds - p.latestHandshakeSeconds() < WORKING_SECONDS;
            boolean moved = w.endpoint() != null && !w.endpoint().equals(before) && !(before == null && working);
            if (p == null || moved || !new java.util.HashSet<>(p.allowedIps()).equals(allowed)) {
                out.add(new Put(w, p == null || moved ? w.endpoint() : null));
            }
            // an endpoint counts as applied once the kernel took it (applied()); one left to a working path, now
            if (w.endpoint() != null && before == null && working) advertised.put(w.key(), w.endpoint());
        }
        for (WgDump.Peer p : current) {
            if (!keys.contains(p.key())) out.add(new Remove(p.key()));
        }
        advertised.keySet().retainAll(keys);
        return out;
    }
}

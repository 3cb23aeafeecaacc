package dev.mosvm.agent.gossip;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a node believes of the entries a message brings, where every node signs its own: an
 * entry counts only with its node's signature ({@link EntryProof}), so a member cannot announce
 * another's load, liveness or departure. A newer sequence is checked once; the same one again
 * (forwarded copies) costs a comparison. An older sequence than one already believed is old
 * news and passes silently. And since a forwarder could replay the newest entry of a node that
 * has died, making it out young, an entry is never younger here than the time since its
 * sequence was first seen here.
 *
 * <p>Pure: time comes in as an argument, the signature check is the caller's ({@link Keys}).
 * Not thread-safe; the gossip service calls it under the node's lock.
 */
public final class EntryCheck {
    /** Checks a node's signature over bytes; null when the node's key is not known (yet). */
    public interface Keys {
        Boolean verify(String node, byte[] signed, byte[] signature);

        /**
         * The address the pool certified for {@code node} (its overlay seat), or null where none
         * is certified (a pool without an overlay): a node's entry must give that address, or
         * peers would send its jobs, files and gossip to whichever member holds it.
         */
        default String certifiedAddress(String node) {
            return null;
        }
    }

    /**
     * What came of one message: the entries to believe (null: none, the sender's own failed), what
     * was refused, and the members whose certificates to ask the sender for (unknown, or whose
     * entries did not check with the key held: they may have joined again with a new one).
     */
    public record Outcome(GossipMessage message, int unproven, int forged, Set<String> askFor) {}

    private record Believed(EntryProof proof, long firstSeen) {}

    private final String self;
    private final Keys keys;
    private final Map<String, Believed> believed = new HashMap<>();

    public EntryCheck(String self, Keys keys) {
        this.self = self;
        this.keys = keys;
    }

    public Outcome check(GossipMessage m, long now) {
        List<WireEntry> kept = new ArrayList<>(m.entries().size());
        int unproven = 0;
        int forged = 0;
        Set<String> unknown = new LinkedHashSet<>();
        for (int i = 0; i < m.entries().size(); i++) {
            WireEntry e = m.entries().get(i);
            String id = e.info().id();
            WireEntry ok = null;
            if (id.equals(self)) {
                ok = e; // the node ignores news of itself anyway
            } else if (e.proof() == null) {
                unproven++;
            } else {
                Believed b = believed.get(id);
                long seq = e.proof().seq();
                if (b != null && seq < b.proof().seq()) {
                    if (i == 0) return new Outcome(null, unproven, forged, unknown); // a sender replaying its own old entry
                    continue; // old news, forwarded late
                }
                if (b != null && seq == b.proof().seq()) {
                    if (b.proof().sameSignature(e.proof())) ok = e.ageMillis() >= now - b.firstSeen() ? e : e.agedTo(now - b.firstSeen());
                    else forged++; // the same sequence signed twice: its node never does that
                } else {
                    Boolean valid = keys.verify(id, GossipCodec.signedBytes(e.info(), e.left(), seq), e.proof().signature());
                    if (valid == null) {
                        unproven++;
                        unknown.add(id);
                    } else if (valid && !claimsAnotherAddress(e)) {
                        believed.put(id, new Believed(e.proof(), now));
                        ok = e;
                    } else if (valid) {
                        // signed by its node, at an address not its own: not believed there; but the node may
                        // have been seated anew (it left and an admitter took it back), so the sender is asked
                        forged++;
                        unknown.add(id);
                    } else {
                        forged++;
                        unknown.add(id);
                    }
                }
            }
            if (ok == null && i == 0) return new Outcome(null, unproven, forged, unknown); // the sender's own entry did not hold
            if (ok != null) kept.add(ok);
        }
        return new Outcome(new GossipMessage(m.sender(), m.kind(), kept), unproven, forged, unknown);
    }

    private boolean claimsAnotherAddress(WireEntry e) {
        String certified = keys.certifiedAddress(e.info().id());
        return certified != null && !certified.equals(e.info().address());
    }

    /** Forgets a node (removed from the pool): its entries are refused from now on by its missing key, not by this. */
    public void forget(String node) {
        believed.remove(node);
    }
}

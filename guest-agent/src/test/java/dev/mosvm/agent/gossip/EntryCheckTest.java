package dev.mosvm.agent.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mosvm.agent.identity.Ed25519;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.api.NodeInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The receiver's rules for signed entries, with real signatures and a movable clock. */
class EntryCheckTest {
    final NodeIdentity a = NodeIdentity.ephemeral();
    final NodeIdentity b = NodeIdentity.ephemeral();
    final Map<String, NodeIdentity> known = Map.of("a", a, "b", b);
    final EntryCheck check = new EntryCheck("me", (node, signed, sig) -> known.containsKey(node) ? Ed25519.verify(known.get(node).publicKey(), signed, sig) : null);

    static NodeInfo info(String id, double load) {
        return new NodeInfo(id, "10.0.0.1", 7946, 2, 1.0, load, 1000, 0);
    }

    static WireEntry signed(NodeIdentity by, NodeInfo i, long seq, long age) {
        return new WireEntry(i, age, false, new EntryProof(seq, by.sign(GossipCodec.signedBytes(i, false, seq))));
    }

    GossipMessage from(String sender, WireEntry... entries) {
        return new GossipMessage(sender, List.of(entries));
    }

    @Test
    void entriesSignedByTheirNodeAreBelievedAndOthersAreNot() {
        WireEntry ownA = signed(a, info("a", 0.1), 5, 0);
        EntryCheck.Outcome o = check.check(from("a", ownA, signed(b, info("b", 0.2), 7, 300), signed(a, info("b", 0.0), 9, 0),
                new WireEntry(info("b", 0.0), 0, false), signed(a, info("x", 0.0), 1, 0)), 1000);
        assertEquals(List.of("a", "b"), o.message().entries().stream().map(e -> e.info().id()).toList());
        assertEquals(0.2, o.message().entries().get(1).info().load(), 1e-6);
        assertEquals(1, o.forged(), "b's entry signed by a");
        assertEquals(2, o.unproven(), "an unsigned entry, and x whose key is not known");
        assertEquals(Set.of("b", "x"), o.askFor(), "x's key is not known; b's did not check (b may have joined again with another)");
    }

    @Test
    void theSendersOwnEntryFailingDropsTheMessage() {
        assertNull(check.check(from("a", signed(b, info("a", 0.1), 5, 0), signed(b, info("b", 0.2), 7, 0)), 0).message(), "forged");
        assertNull(check.check(from("x", signed(a, info("x", 0.1), 5, 0)), 0).message(), "unknown key");
        check.check(from("a", signed(a, info("a", 0.1), 5, 0)), 0);
        assertNull(check.check(from("a", signed(a, info("a", 0.1), 4, 0)), 0).message(), "the sender's own older entry: a replay");
    }

    @Test
    void aForwarderCannotMakeAnEntryYoungerThanItsFirstSightingNorBringBackAnOlderOne() {
        WireEntry b7 = signed(b, info("b", 0.2), 7, 100);
        assertEquals(100, check.check(from("a", signed(a, info("a", 0), 1, 0), b7), 1_000).message().entries().get(1).ageMillis());
        // the same signed entry replayed 20 s later as brand new
        WireEntry replay = b7.agedTo(0);
        assertEquals(20_000, check.check(from("a", signed(a, info("a", 0), 2, 0), replay), 21_000).message().entries().get(1).ageMillis());
        // an older sequence of b is old news: not believed, not counted
        EntryCheck.Outcome o = check.check(from("a", signed(a, info("a", 0), 3, 0), signed(b, info("b", 0.9), 6, 0)), 22_000);
        assertEquals(1, o.message().entries().size());
        assertEquals(0, o.forged() + o.unproven());
        // the same sequence with another signature (other content) is forged
        o = check.check(from("a", signed(a, info("a", 0), 4, 0), signed(a, info("b", 0.2), 7, 0)), 23_000);
        assertEquals(1, o.forged());
    }

    @Test
    void anEntryWellSignedAtAnAddressNotItsCertifiedSeatIsForged() {
        EntryCheck seated = new EntryCheck("me", new EntryCheck.Keys() {
            @Override
            public Boolean verify(String node, byte[] signed, byte[] signature) {
                return known.containsKey(node) ? Ed25519.verify(known.get(node).publicKey(), signed, signature) : null;
            }

            @Override
            public String certifiedAddress(String node) {
                return node.equals("b") ? "10.77.0.2" : null; // a has no seat (a pool without an overlay)
            }
        });
        NodeInfo bAtHome = new NodeInfo("b", "10.77.0.2", 7946, 2, 1.0, 0.2, 1000, 0);
        NodeInfo bAtAnothers = new NodeInfo("b", "10.77.0.3", 7946, 2, 1.0, 0.2, 1000, 0);
        EntryCheck.Outcome o = seated.check(from("a", signed(a, info("a", 0.1), 1, 0), signed(b, bAtAnothers, 2, 0)), 0);
        assertEquals(List.of("a"), o.message().entries().stream().map(e -> e.info().id()).toList(), "b claiming 10.77.0.3 is not believed");
        assertEquals(1, o.forged());
        assertEquals(java.util.Set.of("b"), o.askFor(), "the sender is asked for b's certificate: b may have been seated anew");
        assertNull(seated.check(from("b", signed(b, bAtAnothers, 3, 0)), 0).message(), "nor is a message b sends from there");
        o = seated.check(from("b", signed(b, bAtHome, 4, 0)), 0);
        assertEquals("10.77.0.2", o.message().entries().get(0).info().address(), "at its seat, b is believed");
    }
}

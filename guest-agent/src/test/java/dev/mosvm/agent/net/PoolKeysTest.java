package dev.mosvm.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.GossipCodec.MalformedMessageException;
import dev.mosvm.api.PoolMembership;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PoolKeysTest {
    static final long GRACE = 4_000;
    final byte[] master = bytes(1);
    final String key1 = Base64.getEncoder().encodeToString(bytes(2));

    static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    PoolMembership membership(String node, boolean founder) {
        return new PoolMembership("lab", node, "10.0.0.1", 7946, List.of(new PoolMembership.Key(1, key1)), 1, List.of(), "lan", 0, 0,
                "a", founder ? Base64.getEncoder().encodeToString(master) : null,
                Base64.getEncoder().encodeToString(KeyEnvelope.nodeKey(master, "lab", node)), 0, List.of());
    }

    @Test
    void aRotationReachesRemainingMembersAndNotTheRemovedOne() throws Exception {
        PoolKeys a = new PoolKeys(membership("a", true));
        PoolKeys b = new PoolKeys(membership("b", false));
        PoolKeys c = new PoolKeys(membership("c", false));
        int id = a.rotate("c", 0, GRACE);
        assertNotEquals(1, id);
        assertTrue(a.revoked("c"));

        RekeyMessage forB = RekeyMessage.decode(a.rekeyFor("b").encode()); // through the wire format
        assertEquals(PoolKeys.Applied.NEW_KEY, b.apply(forB, 0, GRACE));
        assertEquals(id, b.ring().primaryId());
        assertTrue(b.revoked("c"), "members learn who was removed");
        assertEquals(PoolKeys.Applied.ALREADY_HAD, b.apply(forB, 10, GRACE), "a repeat changes nothing");

        // c captures b's hand-out (it still holds the old pool key, so it can read the outer layer)
        assertEquals(PoolKeys.Applied.FORGED, c.apply(forB, 0, GRACE), "not addressed to c");
        RekeyMessage relabelled = new RekeyMessage("a", "c", forB.epoch(), forB.keyId(), forB.revoked(), forB.envelope());
        assertEquals(PoolKeys.Applied.FORGED, c.apply(relabelled, 0, GRACE), "c's node key does not open b's envelope");
        assertEquals(1, c.ring().primaryId());

        // the old key opens during the grace period only: then b drops it and a retires it
        assertTrue(b.ring().has(1));
        b.tick(GRACE - 1);
        assertTrue(b.ring().has(1));
        b.tick(GRACE);
        a.tick(GRACE);
        assertFalse(b.ring().has(1), "member dropped the old key");
        assertTrue(a.ring().has(1) && a.ring().retired(1), "authority keeps it, retired, for members that were away");
    }

    @Test
    void tamperedOrReplayedHandOutsAreRefused() throws Exception {
        PoolKeys a = new PoolKeys(membership("a", true));
        PoolKeys b = new PoolKeys(membership("b", false));
        a.rotate("c", 0, GRACE);
        RekeyMessage first = a.rekeyFor("b");
        RekeyMessage shorterList = new RekeyMessage("a", "b", first.epoch(), first.keyId(), List.of(), first.envelope());
        assertEquals(PoolKeys.Applied.FORGED, b.apply(shorterList, 0, GRACE), "the revoked list is bound to the envelope");
        RekeyMessage otherAuthority = new RekeyMessage("x", "b", first.epoch(), first.keyId(), first.revoked(), first.envelope());
        assertEquals(PoolKeys.Applied.FORGED, b.apply(otherAuthority, 0, GRACE));
        a.rotate("d", 1, GRACE);
        assertEquals(PoolKeys.Applied.NEW_KEY, b.apply(a.rekeyFor("b"), 1, GRACE));
        int current = b.ring().primaryId();
        assertEquals(PoolKeys.Applied.ALREADY_HAD, b.apply(first, 2, GRACE), "an older rotation replayed changes nothing");
        assertEquals(current, b.ring().primaryId());
    }

    @Test
    void onlyTheAuthorityRotatesAndWhatIsSavedSurvivesARestart() {
        PoolKeys b = new PoolKeys(membership("b", false));
        assertThrows(IllegalStateException.class, () -> b.rotate("c", 0, GRACE));
        PoolKeys a = new PoolKeys(membership("a", true));
        for (int i = 0; i < 12; i++) a.rotate("n" + i, i, GRACE);
        PoolMembership saved = a.persisted(membership("a", true));
        assertEquals(PoolKeys.AUTHORITY_KEEPS, saved.keys().size(), "the authority keeps a bounded history");
        assertEquals(12, saved.epoch());
        PoolKeys restarted = new PoolKeys(saved);
        assertEquals(a.ring().primaryId(), restarted.ring().primaryId());
        assertTrue(restarted.revoked("n11"));
        for (int id : restarted.ring().ids()) assertEquals(id != restarted.ring().primaryId(), restarted.ring().retired(id));
    }

    @Test
    void randomAndMutatedRekeyMessagesNeverCrashTheDecoder() {
        PoolKeys a = new PoolKeys(membership("a", true));
        a.rotate("c", 0, GRACE);
        byte[] good = a.rekeyFor("b").encode();
        SplittableRandom r = new SplittableRandom(42);
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            byte[] m = good.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            inputs.add(r.nextBoolean() ? m : java.util.Arrays.copyOf(m, r.nextInt(m.length + 8)));
            byte[] junk = new byte[r.nextInt(200)];
            r.nextBytes(junk);
            inputs.add(junk);
        }
        PoolKeys b = new PoolKeys(membership("b", false));
        int applied = 0;
        for (byte[] in : inputs) {
            try {
                if (b.apply(RekeyMessage.decode(in), 0, GRACE) == PoolKeys.Applied.NEW_KEY) applied++;
            } catch (MalformedMessageException expected) {
                // dropped and counted by the caller
            }
        }
        assertTrue(applied <= 1, "only an intact hand-out can apply (a mutation of a padding-free field may still be the original)");
    }
}

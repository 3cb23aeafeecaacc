package dev.mosvm.agent.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.NodeInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GossipCodecTest {
    static GossipMessage sample(int entries) {
        List<WireEntry> es = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            es.add(new WireEntry(new NodeInfo(i == 0 ? "node-0" : "node-" + i, "192.168.122." + (i % 250 + 2), 7946, 1 + i % 8,
                    0.25 * (i % 5), 0.5 * (i % 7), 100_000L * i, i % 11), 10L * i, i == 3));
        }
        return new GossipMessage("node-0", es);
    }

    @Test
    void roundTrip() throws Exception {
        GossipMessage m = sample(64);
        byte[] bytes = GossipCodec.encode(m);
        GossipMessage back = GossipCodec.decode(bytes);
        assertEquals(m.sender(), back.sender());
        assertEquals(64, back.entries().size());
        for (int i = 0; i < 64; i++) {
            WireEntry a = m.entries().get(i);
            WireEntry b = back.entries().get(i);
            assertEquals(a.info().id(), b.info().id());
            assertEquals(a.info().address(), b.info().address());
            assertEquals(a.info().freeMemKb(), b.info().freeMemKb());
            assertEquals(a.info().speed(), b.info().speed(), 1e-6);
            assertEquals(a.ageMillis(), b.ageMillis());
            assertEquals(a.left(), b.left());
        }
        assertEquals(bytes.length, GossipCodec.encodedSize(m));
        assertTrue(bytes.length < 64 * 51, "compact: " + bytes.length + " bytes for 64 entries");
    }

    @Test
    void anOverlayEndpointTravelsAndAnInvalidOneRejectsTheMessage() throws Exception {
        NodeInfo at = new NodeInfo("node-0", "10.77.0.1", 7946, 1, 1.0, 0, 1000, 0, 0, "10.213.77.11:51820");
        GossipMessage m = new GossipMessage("node-0", List.of(new WireEntry(at, 5, false)));
        byte[] bytes = GossipCodec.encode(m);
        assertEquals(bytes.length, GossipCodec.encodedSize(m));
        assertEquals("10.213.77.11:51820", GossipCodec.decode(bytes).entries().get(0).info().endpoint());
        NodeInfo plain = new NodeInfo("node-0", "192.168.122.5", 7946, 1, 1.0, 0, 1000, 0);
        assertEquals(null, GossipCodec.decode(GossipCodec.encode(new GossipMessage("node-0", List.of(new WireEntry(plain, 5, false))))).entries().get(0).info().endpoint());
        NodeInfo bad = new NodeInfo("node-0", "10.77.0.1", 7946, 1, 1.0, 0, 1000, 0, 0, "-o:evil");
        assertEquals("entry 0: invalid endpoint", assertThrows(GossipCodec.MalformedMessageException.class,
                () -> GossipCodec.decode(GossipCodec.encode(new GossipMessage("node-0", List.of(new WireEntry(bad, 5, false)))))).getMessage());
    }

    @Test
    void rejectsEachKindOfBadInput() {
        byte[] good = GossipCodec.encode(sample(3));
        assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(new byte[0]));
        assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(java.util.Arrays.copyOf(good, good.length - 1)));
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(trailing));
        byte[] version = good.clone();
        version[2] = 9;
        assertTrue(assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(version)).getMessage().contains("version"));
        assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(new byte[GossipCodec.MAX_MESSAGE_BYTES + 1]));
        GossipMessage spoof = new GossipMessage("node-9", sample(2).entries());
        assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(GossipCodec.encode(spoof)));
    }

    /** Thousands of random and mutated messages: only MalformedMessageException, never anything else. */
    @Test
    void fuzzedInputNeverCrashesTheDecoder() {
        SplittableRandom r = new SplittableRandom(42);
        byte[] good = GossipCodec.encode(signed(sample(20)));
        int accepted = 0;
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] data;
            switch (i % 4) {
                case 0 -> { // random bytes with a valid header, so decoding goes deep
                    data = new byte[r.nextInt(1, 2000)];
                    r.nextBytes(data);
                    if (data.length > 4) { data[0] = 'M'; data[1] = 'G'; data[2] = GossipCodec.VERSION; data[3] = 1; }
                }
                case 1 -> { // bit flips
                    data = good.clone();
                    for (int k = r.nextInt(1, 8); k > 0; k--) data[r.nextInt(data.length)] ^= (byte) (1 << r.nextInt(8));
                }
                case 2 -> data = java.util.Arrays.copyOf(good, r.nextInt(good.length)); // truncation
                default -> { // byte overwrites, including length fields
                    data = good.clone();
                    for (int k = r.nextInt(1, 4); k > 0; k--) data[r.nextInt(data.length)] = (byte) r.nextInt(256);
                }
            }
            try {
                GossipMessage m = GossipCodec.decode(data);
                assertTrue(m.entries().size() <= GossipCodec.MAX_ENTRIES);
                accepted++;
            } catch (GossipCodec.MalformedMessageException e) {
                rejected++;
            }
        }
        assertEquals(20_000, accepted + rejected);
        assertTrue(rejected > 10_000, "most mutations are caught: " + rejected);
    }

    /** Every other entry of {@code m} with a proof (a made-up signature: the codec does not check it). */
    static GossipMessage signed(GossipMessage m) {
        List<WireEntry> es = new java.util.ArrayList<>();
        for (int i = 0; i < m.entries().size(); i++) {
            WireEntry e = m.entries().get(i);
            byte[] sig = new byte[EntryProof.SIGNATURE_BYTES];
            java.util.Arrays.fill(sig, (byte) i);
            es.add(i % 2 == 0 ? new WireEntry(e.info(), e.ageMillis(), e.left(), new EntryProof(1_765_000_000_000L + i, sig)) : e);
        }
        return new GossipMessage(m.sender(), m.kind(), es);
    }

    @Test
    void proofsRoundTripAndTheirBytesAreCounted() throws Exception {
        GossipMessage m = signed(sample(10));
        byte[] bytes = GossipCodec.encode(m);
        assertEquals(bytes.length, GossipCodec.encodedSize(m));
        GossipMessage back = GossipCodec.decode(bytes);
        for (int i = 0; i < 10; i++) assertEquals(m.entries().get(i).proof(), back.entries().get(i).proof(), "entry " + i);
        // what is signed does not depend on the age, and changes with anything else
        WireEntry e = back.entries().get(0);
        byte[] signedBytes = GossipCodec.signedBytes(e.info(), e.left(), e.proof().seq());
        assertTrue(java.util.Arrays.equals(signedBytes, GossipCodec.signedBytes(m.entries().get(0).info(), false, e.proof().seq())),
                "the wire's rounding of floats is what is signed, so a receiver checks what the sender signed");
        assertTrue(!java.util.Arrays.equals(signedBytes, GossipCodec.signedBytes(e.info(), true, e.proof().seq())));
        assertTrue(!java.util.Arrays.equals(signedBytes, GossipCodec.signedBytes(e.info(), false, e.proof().seq() + 1)));
        byte[] negative = bytes.clone();
        int at = GossipCodec.headerSize("node-0") + GossipCodec.entrySize(new WireEntry(e.info(), 0, false)); // the first entry's seq
        negative[at] = (byte) 0x80;
        assertTrue(assertThrows(GossipCodec.MalformedMessageException.class, () -> GossipCodec.decode(negative)).getMessage().contains("negative sequence"));
    }

    @Test
    void aWindowOfSignedEntriesLargerThanADatagramIsCutToFit() {
        GossipNode n = new GossipNode(new dev.mosvm.api.NodeInfo("self-node-with-a-long-name", "10.0.0.1", 7946, 2, 1, 0, 1, 0),
                new GossipConfig(1000, 1024, 10_000, 30_000, 300_000, 30), new SplittableRandom(1), new NodeIds());
        n.signWith((info, left) -> new EntryProof(1, new byte[EntryProof.SIGNATURE_BYTES]));
        GossipMessage many = signed(sample(1000));
        n.onMessage(0, new GossipMessage(many.sender(), GossipMessage.Kind.GOSSIP, many.entries()));
        GossipMessage out = n.message(10);
        assertTrue(GossipCodec.encode(out).length <= GossipCodec.MAX_PART_BYTES, "one datagram");
        assertTrue(out.entries().size() > 300, "as many as fit: " + out.entries().size());
        int total = 0;
        for (GossipMessage part : n.fullState(10, GossipMessage.Kind.SYNC)) {
            assertTrue(GossipCodec.encode(part).length <= GossipCodec.MAX_PART_BYTES);
            total += part.entries().size() - 1;
        }
        assertEquals(1000, total, "the whole board, in parts");
    }
}

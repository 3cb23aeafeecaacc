package dev.mosvm.agent.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PacketSealerTest {
    final AtomicLong time = new AtomicLong(1_000_000);
    final DropCounters drops = new DropCounters();

    static Keyring ring(int id, int fill) {
        Keyring k = new Keyring();
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) fill);
        k.install(id, key);
        return k;
    }

    PacketSealer sealer(String name, Keyring k) {
        return new PacketSealer(name, k, new DropCounters(), time::get, 30_000);
    }

    PacketSealer receiver(Keyring k) {
        return new PacketSealer("b", k, drops, time::get, 30_000);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sealedPacketsOpenAndAreNotPlaintext() {
        Keyring k = ring(1, 7);
        byte[] p = sealer("a", k).seal(bytes("load 0.5 secret-ish"));
        assertTrue(!new String(p, StandardCharsets.ISO_8859_1).contains("load 0.5"), "encrypted");
        PacketSealer.Opened o = receiver(k).open(p, p.length);
        assertEquals("a", o.sender());
        assertArrayEquals(bytes("load 0.5 secret-ish"), o.payload());
    }

    @Test
    void forgeriesTamperingAndForeignKeysAreRefusedAndCounted() {
        byte[] p = sealer("a", ring(1, 7)).seal(bytes("x"));
        PacketSealer r = receiver(ring(1, 8)); // same id, other key: not a member
        assertNull(r.open(p, p.length));
        assertNull(receiver(ring(2, 7)).open(p, p.length), "unknown key id");
        PacketSealer good = receiver(ring(1, 7));
        byte[] flipped = p.clone();
        flipped[flipped.length - 20] ^= 1;
        assertNull(good.open(flipped, flipped.length));
        byte[] header = p.clone();
        header[3] = 1; // unchanged id, but re-check header bit flips of the nonce
        header[5] ^= 1;
        assertNull(good.open(header, header.length));
        assertEquals(4, drops.get(DropCounters.Reason.UNAUTHENTICATED));
    }

    @Test
    void replaysAreRefusedReorderingIsNot() {
        Keyring k = ring(1, 7);
        PacketSealer a = sealer("a", k);
        PacketSealer b = receiver(k);
        List<byte[]> ps = new ArrayList<>();
        for (int i = 0; i < 5; i++) ps.add(a.seal(bytes("m" + i)));
        assertNotNull(b.open(ps.get(0), ps.get(0).length));
        assertNotNull(b.open(ps.get(3), ps.get(3).length));
        assertNotNull(b.open(ps.get(1), ps.get(1).length), "late but new: accepted");
        assertNull(b.open(ps.get(3), ps.get(3).length), "replay");
        assertNull(b.open(ps.get(0), ps.get(0).length), "replay");
        for (int i = 0; i < 70; i++) a.seal(bytes("skip"));
        byte[] later = a.seal(bytes("later"));
        assertNotNull(b.open(later, later.length));
        assertNull(b.open(ps.get(2), ps.get(2).length), "too old for the window: refused");
        assertEquals(3, drops.get(DropCounters.Reason.REPLAYED));
    }

    @Test
    void staleOrFutureTimesAndOldBootsAreRefused() {
        Keyring k = ring(1, 7);
        PacketSealer b = receiver(k);
        PacketSealer a1 = sealer("a", k);
        byte[] old = a1.seal(bytes("before restart"));
        time.addAndGet(1000);
        PacketSealer a2 = sealer("a", k); // restarted: new boot id, sequence from 1
        byte[] fresh = a2.seal(bytes("after restart"));
        assertNotNull(b.open(fresh, fresh.length));
        assertNull(b.open(old, old.length), "a packet of the previous boot");
        time.addAndGet(60_000);
        byte[] delayed = a2.seal(bytes("x"));
        time.addAndGet(60_000);
        assertNull(b.open(delayed, delayed.length), "older than the skew allows");
        assertEquals(2, drops.get(DropCounters.Reason.STALE));
    }

    @Test
    void keyRotationKeepsTheOldKeyUntilRemoved() {
        Keyring sender = ring(1, 7);
        Keyring recv = ring(1, 7);
        byte[] k2 = new byte[32];
        java.util.Arrays.fill(k2, (byte) 9);
        recv.install(2, k2);
        sender.install(2, k2);
        sender.usePrimary(2);
        PacketSealer a = sealer("a", sender);
        PacketSealer b = receiver(recv);
        byte[] p = a.seal(bytes("new key"));
        assertNotNull(b.open(p, p.length));
        recv.usePrimary(2);
        recv.remove(1);
        byte[] oldKeyed = sealer("c", ring(1, 7)).seal(bytes("removed member"));
        assertNull(b.open(oldKeyed, oldKeyed.length), "a removed node's key no longer works");
    }

    /** Thousands of random and mutated packets: dropped and counted, never an exception. */
    @Test
    void fuzzedPacketsAreDroppedAndCounted() {
        Keyring k = ring(1, 7);
        PacketSealer a = sealer("a", k);
        PacketSealer b = receiver(k);
        SplittableRandom r = new SplittableRandom(3);
        byte[] good = a.seal(new byte[200]);
        int opened = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] p;
            if (i % 3 == 0) {
                p = new byte[r.nextInt(0, 300)];
                r.nextBytes(p);
            } else if (i % 3 == 1) {
                p = good.clone();
                p[r.nextInt(p.length)] ^= (byte) (1 << r.nextInt(8));
            } else {
                p = java.util.Arrays.copyOf(good, r.nextInt(good.length));
            }
            if (b.open(p, p.length) != null) opened++;
        }
        assertEquals(0, opened, "no mutation of a sealed packet passes");
        assertEquals(20_000, drops.total());
        byte[] huge = new byte[PacketSealer.MAX_PACKET_BYTES + 1];
        assertNull(b.open(huge, huge.length));
        assertEquals(1, drops.get(DropCounters.Reason.OVERSIZED));
    }
}

package dev.mosvm.agent.overlay;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pool's overlay addresses: 10.77.0.0/16, handed out by the admitting member, one per
 * member for as long as the pool lives, so NFS mounts and peers keep working when a
 * workstation's LAN address changes. The founder is .0.1; .0.0 and the broadcast are never given.
 * Admitters each have a /24 of their own ({@link #seat}), so two never give the same address.
 */
public final class OverlayAddresses {
    private OverlayAddresses() {}

    public static final int PREFIX = 16;
    private static final int NETWORK = (10 << 24) | (77 << 16);
    private static final int MASK = -1 << (32 - PREFIX);
    private static final int FIRST = NETWORK + 1;
    private static final int LAST = NETWORK + ~MASK - 1;

    public static Inet4Address first() {
        return of(FIRST);
    }

    /** Blocks 1 to this are admitters' (admitter N seats its joiners in 10.77.N.0/24); the founder's are 0 and those above. */
    public static final int ADMITTER_BLOCKS = 200;

    /**
     * A seat for a joiner admitted by admitter {@code number} (0: the founder), never one given
     * before, even to a removed member: its own block, and for the founder, once block 0 is full,
     * blocks 255 down to {@link #ADMITTER_BLOCKS} + 1. An IllegalStateException when none is left.
     */
    public static Inet4Address seat(Collection<Inet4Address> taken, int number) {
        if (number < 0 || number > ADMITTER_BLOCKS) throw new IllegalArgumentException("an admitter's number is 1 to " + ADMITTER_BLOCKS);
        List<Integer> blocks = new ArrayList<>(List.of(number));
        for (int b = 255; number == 0 && b > ADMITTER_BLOCKS; b--) blocks.add(b);
        Map<Integer, Integer> highest = new HashMap<>(); // block: its highest taken host
        Set<Integer> used = new HashSet<>();
        for (Inet4Address a : taken) {
            int v = toInt(a);
            if (!inside(v)) continue;
            used.add(v);
            highest.merge((v >>> 8) & 0xFF, v & 0xFF, Math::max);
        }
        int from = 0; // the latest block in use: earlier ones are full, or their free addresses were given before
        for (int i = 0; i < blocks.size(); i++) if (highest.containsKey(blocks.get(i))) from = i;
        for (int i = from; i < blocks.size(); i++) {
            int top = highest.getOrDefault(blocks.get(i), 0);
            if (top < 254) return of(NETWORK | (blocks.get(i) << 8) | (top + 1));
        }
        for (int b : blocks) { // every block filled once: addresses of removed members, the oldest first
            for (int h = 1; h <= 254; h++) if (!used.contains(NETWORK | (b << 8) | h)) return of(NETWORK | (b << 8) | h);
        }
        throw new IllegalStateException(number == 0 ? "the founder has no overlay address left to give" : "admitter " + number
                + "'s overlay block 10.77." + number + ".0/24 is full; let another member admit");
    }

    /** Whether {@code a} is a member's address on the overlay. */
    public static boolean contains(Inet4Address a) {
        return a != null && inside(toInt(a));
    }

    /** An IPv4 literal on the overlay, or an error naming what is wrong. */
    public static Inet4Address parse(String literal) {
        if (literal == null || !literal.matches("\\d{1,3}(\\.\\d{1,3}){3}")) throw new IllegalArgumentException("not an IPv4 address: " + literal);
        try {
            Inet4Address a = (Inet4Address) InetAddress.getByName(literal); // a literal: no lookup
            if (!contains(a)) throw new IllegalArgumentException(literal + " is outside the overlay's " + subnet());
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 address: " + literal);
        }
    }

    public static String subnet() {
        return of(NETWORK).getHostAddress() + "/" + PREFIX;
    }

    private static boolean inside(int v) {
        return (v & MASK) == NETWORK && v >= FIRST && v <= LAST;
    }

    static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    static Inet4Address of(int v) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }
}

package dev.mosvm.agent.overlay;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The pool's overlay addresses: 10.77.0.0/16, handed out by the admitting member, one per
 * member for as long as the pool lives, so NFS mounts and peers keep working when a
 * workstation's LAN address changes. The founder is .0.1; .0.0 and the broadcast are never given.
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

    /** The lowest address above every one in {@code taken} (never one given before, even to a removed member). */
    public static Inet4Address next(Collection<Inet4Address> taken) {
        int highest = FIRST - 1;
        Set<Integer> used = new HashSet<>();
        for (Inet4Address a : taken) {
            int v = toInt(a);
            if (inside(v)) {
                used.add(v);
                highest = Math.max(highest, v);
            }
        }
        if (highest < LAST) return of(highest + 1);
        for (int v = FIRST; v <= LAST; v++) if (!used.contains(v)) return of(v); // 65,533 members later
        throw new IllegalStateException("the pool's overlay has no address left");
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

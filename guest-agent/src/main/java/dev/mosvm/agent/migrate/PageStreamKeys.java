package dev.mosvm.agent.migrate;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Fresh keys for one page stream (one CRIU round), one set per direction: the ChaCha20-Poly1305
 * key and IV {@code mosvm-pagelink} seals that direction's records with. The target makes them and
 * hands them to the source inside the authenticated, encrypted peer channel, so a stream only
 * decrypts at the two agents of this migration, and no key is ever used for two connections.
 */
record PageStreamKeys(byte[] toTarget, byte[] toSource) {
    /** Bytes of one direction's material: 32 of key, 12 of IV. */
    static final int SIDE = 32 + 12;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    PageStreamKeys {
        if (toTarget.length != SIDE || toSource.length != SIDE) throw new IllegalArgumentException("page-stream keys of the wrong size");
    }

    static PageStreamKeys fresh() {
        byte[] a = new byte[SIDE];
        byte[] b = new byte[SIDE];
        RANDOM.nextBytes(a);
        RANDOM.nextBytes(b);
        return new PageStreamKeys(a, b);
    }

    /** The line for the source's {@code mosvm-pagelink}: it sends with toTarget, receives with toSource. */
    String sourceLine() {
        return HEX.formatHex(toTarget) + HEX.formatHex(toSource) + "\n";
    }

    /** The line for the target's {@code mosvm-pagelink}: the same keys seen from the other end. */
    String targetLine() {
        return HEX.formatHex(toSource) + HEX.formatHex(toTarget) + "\n";
    }

    /** As sent to the source in PAGES_READY. */
    String wire() {
        return HEX.formatHex(toTarget) + HEX.formatHex(toSource);
    }

    static PageStreamKeys fromWire(String hex) {
        if (hex == null || !hex.matches("[0-9a-f]{" + 4 * SIDE + "}")) throw new IllegalArgumentException("bad page-stream keys");
        byte[] all = HEX.parseHex(hex);
        return new PageStreamKeys(java.util.Arrays.copyOf(all, SIDE), java.util.Arrays.copyOfRange(all, SIDE, 2 * SIDE));
    }
}

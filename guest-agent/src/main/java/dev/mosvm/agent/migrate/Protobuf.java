package dev.mosvm.agent.migrate;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The few protobuf wire-format pieces CRIU's small images need (varints, length-delimited
 * fields): the agent reads CRIU's statistics and rewrites pagemap flags, messages of a handful
 * of integer fields, so a protobuf runtime and generated classes would not earn their place.
 */
final class Protobuf {
    private Protobuf() {}

    static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b.get();
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
        throw new IllegalArgumentException("varint too long");
    }

    /** The next {@code length} bytes of {@code b} as a buffer of their own; {@code b} moves past them. */
    static ByteBuffer slice(ByteBuffer b, int length) {
        if (length < 0 || length > b.remaining()) throw new IllegalArgumentException("bad length " + length);
        ByteBuffer s = b.slice(b.position(), length).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + length);
        return s;
    }

    static void skip(ByteBuffer b, int wireType) {
        switch (wireType) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> slice(b, (int) varint(b));
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalArgumentException("wire type " + wireType);
        }
    }

    /** An integer field: its key (wire type 0) and its value as a varint. */
    static byte[] field(int number, long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(12);
        writeVarint(out, (long) number << 3);
        writeVarint(out, value);
        return out.toByteArray();
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}

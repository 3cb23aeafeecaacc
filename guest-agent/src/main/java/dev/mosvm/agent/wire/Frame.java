package dev.mosvm.agent.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One frame: its type and its payload. Built by the encoders below, or read by
 * {@link FrameCodec#read}, which has checked the payload's shape against its type, so the
 * accessors of a read frame cannot fail on its length.
 */
public record Frame(MessageType type, byte[] payload) {
    public Frame {
        int fixed = type.payload.fixedLength;
        if (fixed >= 0 && payload.length != fixed) {
            throw new IllegalArgumentException(type + " carries " + fixed + " bytes, not " + payload.length);
        }
    }

    public static Frame empty(MessageType type) {
        return new Frame(type, new byte[0]);
    }

    public static Frame u32(MessageType type, int value) {
        return new Frame(type, ByteBuffer.allocate(4).putInt(value).array());
    }

    public static Frame u64(MessageType type, long value) {
        return new Frame(type, ByteBuffer.allocate(8).putLong(value).array());
    }

    public static Frame text(MessageType type, String text) {
        return new Frame(type, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code value} as JSON (this package's records, the job views and moves of a LIST, a commit's held input). */
    public static Frame json(MessageType type, Object value) {
        return new Frame(type, WireJson.write(value));
    }

    public int u32() {
        return ByteBuffer.wrap(payload).getInt();
    }

    public long u64() {
        return ByteBuffer.wrap(payload).getLong();
    }

    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** The text of a structured payload (a round, a path), refused undecoded if longer than any such field can be. */
    String field() throws MalformedFrameException {
        if (payload.length > WireLimits.MAX_FIELD_BYTES) throw new MalformedFrameException(type + " text of " + payload.length + " bytes");
        return text();
    }

    public <T> T json(Class<T> type) throws MalformedFrameException {
        return WireJson.read(payload, type);
    }

    public <T> T json(com.fasterxml.jackson.core.type.TypeReference<T> type) throws MalformedFrameException {
        return WireJson.read(payload, type);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.type == type && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * type.hashCode() + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return type + "(" + payload.length + " bytes)";
    }
}

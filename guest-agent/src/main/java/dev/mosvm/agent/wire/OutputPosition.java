package dev.mosvm.agent.wire;

import java.nio.ByteBuffer;

/**
 * Where a job's output stands: bytes of its stdout and of its stderr, counted from the job's
 * start (across its moves and restores). The payload of {@link MessageType#POSITION}.
 */
public record OutputPosition(long out, long err) {
    public OutputPosition {
        if (out < 0 || err < 0) throw new IllegalArgumentException("an output position of " + out + " and " + err + " bytes");
    }

    public Frame frame() {
        return new Frame(MessageType.POSITION, ByteBuffer.allocate(16).putLong(out).putLong(err).array());
    }

    /** The position a POSITION frame carries; offsets past 2^63 are malformed. */
    public static OutputPosition of(Frame f) throws MalformedFrameException {
        if (f.type() != MessageType.POSITION) throw new MalformedFrameException("expected POSITION, got " + f.type());
        ByteBuffer b = ByteBuffer.wrap(f.payload());
        long out = b.getLong();
        long err = b.getLong();
        if (out < 0 || err < 0) throw new MalformedFrameException("an output position past 2^63 bytes");
        return new OutputPosition(out, err);
    }
}

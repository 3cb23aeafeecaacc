package dev.mosvm.agent.wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames, as every stream of the agents carries them: a job's stream between {@code mosrun} and
 * its agent (after the request line), and every agent-to-agent connection (after the version
 * exchange). Big-endian:
 * <pre>
 *   frame = type:u8 length:u32 payload[length]        (type: MessageType.code, length &lt;= WireLimits.MAX_FRAME_PAYLOAD)
 * </pre>
 * The reader checks the type is known, the length is within the limit before it allocates (a
 * large payload is allocated as it arrives, not as declared), the payload has its type's shape
 * (fixed lengths, valid UTF-8 text), and the frame is whole; any other input is a
 * {@link MalformedFrameException}.
 */
public final class FrameCodec {
    private FrameCodec() {}

    /** Writes a frame of {@code length} bytes of {@code payload}; one frame at a time per stream, whatever the threads. */
    public static void write(DataOutputStream out, MessageType type, byte[] payload, int length) throws IOException {
        int fixed = type.payload.fixedLength;
        if (fixed >= 0 && length != fixed) throw new IllegalArgumentException(type + " carries " + fixed + " bytes, not " + length);
        if (length > WireLimits.MAX_FRAME_PAYLOAD) {
            // a payload that big would be refused by the reader: fail here, where the cause is
            throw new IOException("a " + type + " frame of " + length + " bytes is over the limit of " + WireLimits.MAX_FRAME_PAYLOAD);
        }
        synchronized (out) {
            out.writeByte(type.code);
            out.writeInt(length);
            out.write(payload, 0, length);
            out.flush();
        }
    }

    public static void write(DataOutputStream out, Frame f) throws IOException {
        write(out, f.type(), f.payload(), f.payload().length);
    }

    public static void write(DataOutputStream out, MessageType type, byte[] payload) throws IOException {
        write(out, type, payload, payload.length);
    }

    public static void writeU32(DataOutputStream out, MessageType type, int value) throws IOException {
        write(out, Frame.u32(type, value));
    }

    public static void writeEmpty(DataOutputStream out, MessageType type) throws IOException {
        write(out, type, new byte[0], 0);
    }

    public static void writeText(DataOutputStream out, MessageType type, String text) throws IOException {
        write(out, Frame.text(type, text));
    }

    /** The next frame, or null at a clean end of stream (between frames). */
    public static Frame read(DataInputStream in) throws IOException {
        int code = in.read();
        if (code < 0) return null;
        MessageType type = MessageType.of(code);
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            throw new MalformedFrameException("truncated " + type + " frame header");
        }
        if (length < 0 || length > WireLimits.MAX_FRAME_PAYLOAD) throw new MalformedFrameException("bad " + type + " frame length " + Integer.toUnsignedString(length));
        int fixed = type.payload.fixedLength;
        if (fixed >= 0 && length != fixed) throw new MalformedFrameException(type + " frame of " + length + " bytes, not " + fixed);
        byte[] payload = readPayload(in, length, type);
        if (type.payload == MessageType.Payload.TEXT && !validUtf8(payload)) throw new MalformedFrameException(type + " text is not UTF-8");
        return new Frame(type, payload);
    }

    /** Payloads up to this size are allocated whole; larger ones grow as their bytes arrive. */
    static final int FIRST_CHUNK = 64 * 1024;

    /**
     * The payload's bytes, in an array that grows (doubling) as they arrive: a frame that
     * declares a megabyte and sends nothing holds a megabyte of no one's memory.
     */
    private static byte[] readPayload(DataInputStream in, int length, MessageType type) throws IOException {
        byte[] payload = new byte[Math.min(length, FIRST_CHUNK)];
        int got = 0;
        try {
            while (true) {
                in.readFully(payload, got, payload.length - got);
                got = payload.length;
                if (got == length) return payload;
                payload = Arrays.copyOf(payload, (int) Math.min(length, 2L * got));
            }
        } catch (EOFException e) {
            throw new MalformedFrameException("truncated " + type + " frame");
        }
    }

    /** Checks UTF-8 through a small window, so a megabyte of text costs no megabytes of chars. */
    private static boolean validUtf8(byte[] b) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer window = CharBuffer.allocate(1024);
        while (true) {
            CoderResult r = decoder.decode(in, window, true);
            if (r.isError()) return false;
            if (r.isUnderflow()) return !decoder.flush(window).isError();
            window.clear();
        }
    }
}

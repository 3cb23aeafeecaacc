package dev.mosvm.agent.jobs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The job stream between `mosrun` and its agent, after the request line: frames of
 * {@code kind:u8 length:u32 payload}. Agent to caller: the job's output, its exit status,
 * or an error. Caller to agent: input, end of input, a signal to deliver.
 */
public final class JobFrames {
    private JobFrames() {}

    public static final int STDOUT = 1;
    public static final int STDERR = 2;
    /** Payload: the exit status as u32 (128 + signal if a signal ended it, as a shell reports it). */
    public static final int EXIT = 3;
    /** Payload: a one-line UTF-8 message; the job did not start. */
    public static final int ERROR = 4;
    /** Payload: the job id as UTF-8. */
    public static final int STARTED = 5;
    public static final int STDIN = 6;
    public static final int STDIN_EOF = 7;
    /** Payload: the signal number as u32. */
    public static final int SIGNAL = 8;
    /** Payload: JSON array of {@link dev.mosvm.api.JobView}, the answer to a list request. */
    public static final int LIST = 9;
    /** Runner to home: the job left that node; its next node attaches. */
    public static final int MOVED = 10;
    /** Payload: a JSON answer (a migration's record). */
    public static final int REPLY = 12;
    /**
     * Home to runner: the job's EXIT arrived. Until it comes the runner keeps the status and
     * sends it again over a new link: a write that returned may still die in a dropped link.
     */
    public static final int EXIT_ACK = 13;
    /**
     * Runner to home: a move of the job begins. Home stops sending the caller's input and
     * signals to this runner, keeps them, and answers {@link #HOLD_ACK} behind the last it sent:
     * the runner has everything before the ACK (and carries it along), nothing comes after it.
     */
    public static final int HOLD = 14;
    public static final int HOLD_ACK = 15;
    /** Runner to home: the move failed, the job runs on here; send the caller's input and signals here again. */
    public static final int RESUME_CONTROL = 16;
    public static final int MAX_PAYLOAD = 1 << 20;

    public record Frame(int kind, byte[] payload) {
        public int asInt() {
            return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff);
        }
    }

    public static void write(DataOutputStream out, int kind, byte[] payload, int length) throws IOException {
        synchronized (out) {
            out.writeByte(kind);
            out.writeInt(length);
            out.write(payload, 0, length);
            out.flush();
        }
    }

    public static void write(DataOutputStream out, int kind, byte[] payload) throws IOException {
        write(out, kind, payload, payload.length);
    }

    public static void writeInt(DataOutputStream out, int kind, int value) throws IOException {
        write(out, kind, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
    }

    /** The next frame, or null at a clean end of stream. */
    public static Frame read(DataInputStream in) throws IOException {
        int kind = in.read();
        if (kind < 0) return null;
        int length = in.readInt();
        if (length < 0 || length > MAX_PAYLOAD) throw new IOException("bad frame length " + length);
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new IOException("truncated frame", e);
        }
        return new Frame(kind, payload);
    }
}

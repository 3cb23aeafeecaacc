package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.OutputPosition;
import dev.mosvm.agent.wire.MalformedFrameException;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The last output read from a job on this node, kept in its directory (a tmpfs that outlives
 * the agent) as frames: a POSITION, then STDOUT and STDERR chunks. Output is sent to home as
 * it is read, and what a stopped agent had sent may still have been on its way (in its
 * buffers, in a link reset when it died); the agent that adopts the job sends the tail again,
 * and home passes on only what its caller has not had. Each chunk is written here before it
 * is counted ({@link OutputCounts}) and before it is sent, in one write, so the tail never
 * lacks what was counted or sent.
 *
 * <p>Two files of at most {@link #GENERATION_BYTES} each: the current one and the one before,
 * so the tail holds between one and two generations of the latest output. Offsets in the
 * tail's POSITION frames are this copy's (bytes read here), and {@link #replayTo} adds what
 * the job wrote before this copy.
 */
final class OutputTail {
    private static final Logger LOG = Logger.getLogger(OutputTail.class.getName());
    static final String CURRENT = "tail";
    static final String PREVIOUS = "tail.old";
    /** Far more than a link's buffers hold in flight, and little for a tmpfs. */
    static final long GENERATION_BYTES = 1L << 20;
    private static final OutputTail NONE = new OutputTail(null, 0, 0, 0);
    private final Path dir;
    private final long generationBytes;
    /** Offsets (this copy's) the next chunk of each stream begins at. */
    private final long[] end = new long[2];
    private FileChannel current;
    private long currentBytes;
    /** Set after a write failed: output goes on without a tail (it is said once). */
    private boolean broken;
    /** The job's output has ended here (it ended or moved on). */
    private boolean closed;

    private OutputTail(Path dir, long out, long err, long generationBytes) {
        this.dir = dir;
        this.generationBytes = generationBytes;
        end[0] = out;
        end[1] = err;
    }

    /** No tail (a job without a directory, in tests). */
    static OutputTail none() {
        return NONE;
    }

    /** A new tail in {@code dir} for a new copy of the job, starting at nothing read. */
    static OutputTail fresh(Path dir) throws IOException {
        return fresh(dir, GENERATION_BYTES);
    }

    static OutputTail fresh(Path dir, long generationBytes) throws IOException {
        Files.deleteIfExists(dir.resolve(PREVIOUS));
        Files.deleteIfExists(dir.resolve(CURRENT));
        OutputTail t = new OutputTail(dir, 0, 0, generationBytes);
        synchronized (t) {
            t.startGeneration();
        }
        return t;
    }

    /**
     * The tail a previous agent kept in {@code dir}, to go on writing: it ends where its frames
     * end. Without one (or a damaged one), a new tail starts at {@code counted}, the output the
     * previous agent counted.
     */
    static OutputTail resume(Path dir, long[] counted) throws IOException {
        return resume(dir, counted, GENERATION_BYTES);
    }

    static OutputTail resume(Path dir, long[] counted, long generationBytes) throws IOException {
        long[] at = endOf(dir);
        if (at == null) {
            Files.deleteIfExists(dir.resolve(PREVIOUS));
            Files.deleteIfExists(dir.resolve(CURRENT));
            at = counted.clone();
        }
        OutputTail t = new OutputTail(dir, at[0], at[1], generationBytes);
        synchronized (t) {
            if (Files.exists(dir.resolve(CURRENT))) {
                long whole = read(dir.resolve(CURRENT)).bytes();
                t.current = FileChannel.open(dir.resolve(CURRENT), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                t.current.truncate(whole); // a chunk cut short by the stopped agent goes: the next one follows the last whole one
                t.currentBytes = whole;
            } else {
                t.startGeneration();
            }
        }
        return t;
    }

    /** Where the frames in {@code dir} end, or null if there are none (or no POSITION begins them). */
    private static long[] endOf(Path dir) throws IOException {
        long[] at = null;
        for (String name : new String[] {PREVIOUS, CURRENT}) {
            for (Frame f : read(dir.resolve(name)).frames()) {
                if (f.type() == MessageType.POSITION) {
                    OutputPosition p = OutputPosition.of(f);
                    at = new long[] {p.out(), p.err()};
                } else if (at != null) {
                    at[f.type() == MessageType.STDERR ? 1 : 0] += f.payload().length;
                }
            }
        }
        return at;
    }

    /** The whole frames of one generation's file and the bytes they take: a chunk cut short at its end (never counted) is left out. */
    private record Generation(List<Frame> frames, long bytes) {}

    private static Generation read(Path file) throws IOException {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Generation(List.of(), 0);
        }
        List<Frame> frames = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(b);
        while (in.remaining() >= 5) {
            int at = in.position();
            try {
                MessageType t = MessageType.of(in.get() & 0xff);
                int n = in.getInt();
                if (n < 0 || n > in.remaining() || (t != MessageType.STDOUT && t != MessageType.STDERR && t != MessageType.POSITION)) {
                    in.position(at);
                    break;
                }
                byte[] payload = new byte[n];
                in.get(payload);
                Frame f = new Frame(t, payload);
                if (t == MessageType.POSITION) OutputPosition.of(f);
                frames.add(f);
            } catch (MalformedFrameException | IllegalArgumentException e) {
                in.position(at);
                break;
            }
        }
        if (in.hasRemaining()) LOG.warning(file + " ends in " + in.remaining() + " bytes that are no whole chunk; they are left out");
        return new Generation(frames, in.position());
    }

    /** Where the tail ends: this copy's offsets of the next chunk of stdout and of stderr. */
    synchronized long[] end() {
        return end.clone();
    }

    /** Keeps a chunk read from the job's stream {@code stream} ({@link OutputCounts#STDOUT} or STDERR). */
    synchronized void append(int stream, byte[] b, int n) {
        if (dir == null || broken || closed) return;
        try {
            if (currentBytes + 5 + n > generationBytes && currentBytes > 21) {
                current.close();
                Files.move(dir.resolve(CURRENT), dir.resolve(PREVIOUS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                startGeneration();
            }
            ByteBuffer frame = ByteBuffer.allocate(5 + n);
            frame.put((byte) (stream == OutputCounts.STDERR ? MessageType.STDERR : MessageType.STDOUT).code).putInt(n).put(b, 0, n).flip();
            write(frame);
            end[stream] += n;
        } catch (IOException e) {
            broken = true;
            LOG.warning("the output tail in " + dir + " stops (" + e.getMessage() + "): an agent that restarts cannot send its last output again");
        }
    }

    private void startGeneration() throws IOException {
        current = FileChannel.open(dir.resolve(CURRENT), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        currentBytes = 0;
        Frame p = new OutputPosition(end[0], end[1]).frame();
        ByteBuffer frame = ByteBuffer.allocate(5 + 16);
        frame.put((byte) p.type().code).putInt(16).put(p.payload()).flip();
        write(frame);
    }

    private void write(ByteBuffer frame) throws IOException {
        while (frame.hasRemaining()) currentBytes += current.write(frame);
    }

    /**
     * Writes the tail's frames to {@code out}, its positions moved on by what the job wrote
     * before this copy ({@code outBefore}, {@code errBefore}), and cut before {@code upTo} per
     * stream (positions counted from the job's start; null: all of it). Holds the tail
     * meanwhile: output read meanwhile waits, and comes after.
     */
    synchronized void replayTo(DataOutputStream out, long outBefore, long errBefore, long[] upTo) throws IOException {
        if (dir == null) return;
        long[] at = null;
        for (String name : new String[] {PREVIOUS, CURRENT}) {
            for (Frame f : read(dir.resolve(name)).frames()) {
                if (f.type() == MessageType.POSITION) {
                    OutputPosition p = OutputPosition.of(f);
                    at = new long[] {p.out() + outBefore, p.err() + errBefore};
                    // never past the cut: what comes after it (the spool) says where it stands itself, and home
                    // would take the stretch between as a gap
                    FrameCodec.write(out, upTo == null ? new OutputPosition(at[0], at[1]).frame()
                            : new OutputPosition(Math.min(at[0], upTo[0]), Math.min(at[1], upTo[1])).frame());
                    continue;
                }
                if (at == null) continue; // a generation cut short before its POSITION: nowhere to place it
                int i = f.type() == MessageType.STDERR ? 1 : 0;
                long end = at[i] + f.payload().length;
                long keep = upTo == null ? end : Math.min(end, upTo[i]);
                if (keep > at[i]) FrameCodec.write(out, f.type(), f.payload(), (int) (keep - at[i]));
                at[i] = end;
            }
        }
    }

    void replayTo(DataOutputStream out, long outBefore, long errBefore) throws IOException {
        replayTo(out, outBefore, errBefore, null);
    }

    synchronized void close() {
        closed = true;
        try {
            if (current != null) current.close();
        } catch (IOException e) {
            // closing a tmpfs file
        }
    }
}

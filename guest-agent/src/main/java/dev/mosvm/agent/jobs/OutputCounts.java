package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Bytes of a job's stdout and stderr read from it on this node. Kept in a file of the job's
 * directory, mapped into memory (each read costs a memory write, no system call), so they
 * outlive this agent: the next one adopts the job and counts on from them, and the job's
 * checkpoints keep saying how much output they are past.
 */
final class OutputCounts {
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    static final int STDOUT = 0;
    static final int STDERR = 1;
    private final ByteBuffer counts;

    private OutputCounts(ByteBuffer counts) {
        this.counts = counts;
    }

    /** Counts only this agent knows. */
    static OutputCounts inMemory() {
        return new OutputCounts(ByteBuffer.allocateDirect(16));
    }

    /** Counts in {@code file}, from what it holds (zero if new). */
    static OutputCounts in(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new OutputCounts(ch.map(FileChannel.MapMode.READ_WRITE, 0, 16)); // the mapping outlives the channel
        }
    }

    void add(int stream, long n) {
        LONGS.getAndAdd(counts, stream * 8, n);
    }

    long get(int stream) {
        return (long) LONGS.getVolatile(counts, stream * 8);
    }
}

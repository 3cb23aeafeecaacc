package dev.mosvm.builder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a file, held until {@link #close()}: processes that take the same one
 * (concurrent builds of an image, `up`s making the one user key) wait for each other. Closing
 * closes the channel too (a bare FileLock's close left its channel, and a descriptor, open).
 * A JVM cannot hold one file's lock twice, so threads of one process must serialise themselves.
 */
public final class LockFile implements AutoCloseable {
    private final FileChannel channel;

    private LockFile(FileChannel channel) {
        this.channel = channel;
    }

    /** Waits for, then holds, the lock on {@code file} (made with its directories if absent). */
    public static LockFile acquire(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            ch.lock();
            return new LockFile(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close(); // releases the lock
    }
}

package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Where a job's home writes what its caller would have had, once that caller is gone: a job
 * that runs on another node while its home's agent restarts (or its home reboots) attaches to
 * the new agent, which has no caller for it. Its output and exit status then go to files its
 * owner reads: {@code DIR/UID/JOB.out}, {@code JOB.err}, and {@code JOB.status} (the exit
 * status, or "lost: why"), written when the job ends.
 *
 * <p>The agent is root writing into a directory its user owns (so the user can list and remove
 * them): each file is created new, never through an existing name or link, and given to the user
 * without following links, so a link planted in the directory changes nothing outside it. Each
 * file holds at most {@link #LIMIT_BYTES}; past it the job's output is dropped (the job is not
 * held: nobody waits to read it) and the error file says so once.
 *
 * <p>It takes the frames a caller's stream would carry ({@link #stream()}): each is written whole
 * and flushed ({@link FrameCodec}), so a flush ends whole frames.
 */
final class OutputFiles implements AutoCloseable {
    /** The most each of a job's output files holds: the same as its spool at a runner while home is away. */
    static final long LIMIT_BYTES = RemoteSink.SPOOL_LIMIT_BYTES;

    private final Path dir;
    private final String job;
    private final int uid;
    private final int gid;
    private final long limit;
    private final FileChannel out;
    private final FileChannel err;
    private final long[] written = new long[2];
    private final boolean[] dropped = new boolean[2];
    private boolean closed;

    /** Files named {@code name}.out and so on; {@code name} is the job's id, with a number after it if the job's home restarted before. */
    private final String name;

    private OutputFiles(Path dir, String job, int uid, int gid, long limit) throws IOException {
        this.dir = dir;
        this.job = job;
        this.uid = uid;
        this.gid = gid;
        this.limit = limit;
        FileChannel o = null;
        String n = job;
        // a job whose home restarted twice has its first files there already: the next number
        for (int k = 1; o == null; k++) {
            try {
                o = create(n + ".out");
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (k > MAX_SUFFIX) throw e;
                n = job + "." + k;
            }
        }
        this.name = n;
        this.out = o;
        FileChannel e;
        try {
            e = create(name + ".err");
        } catch (IOException x) {
            out.close();
            throw x;
        }
        this.err = e;
    }

    /** How many times one job's home may restart under it and still find new names for its files. */
    private static final int MAX_SUFFIX = 99;

    /** Opens job {@code job}'s files under {@code root}/UID (made, and given to the user, if new). */
    static OutputFiles open(Path root, String job, int uid, int gid) throws IOException {
        return open(root, job, uid, gid, LIMIT_BYTES);
    }

    static OutputFiles open(Path root, String job, int uid, int gid, long limit) throws IOException {
        if (uid < 0 || gid < 0) throw new IOException("job " + job + " has no owner to write its output for (uid " + uid + ")");
        Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path dir = root.resolve(Integer.toString(uid));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            own(dir, uid, gid);
        }
        return new OutputFiles(dir, job, uid, gid, limit);
    }

    /** The job's files, as its owner finds them: this, with .out, .err and .status after it. */
    Path files() {
        return dir.resolve(name);
    }

    /** A caller's stream for {@link HomeRecord}: the frames it carries land in the files. */
    DataOutputStream stream() {
        return new DataOutputStream(new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                pending.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                pending.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                byte[] frames = pending.toByteArray();
                pending.reset();
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(frames));
                for (Frame f; (f = FrameCodec.read(in)) != null; ) take(f);
            }
        });
    }

    private synchronized void take(Frame f) throws IOException {
        if (closed) throw new IOException("the output files of job " + job + " are closed");
        switch (f.type()) {
            case STDOUT -> append(0, out, f.payload());
            case STDERR -> append(1, err, f.payload());
            case EXIT -> status(Integer.toString(f.u32()));
            case LOST, ERROR -> status("lost: " + f.text());
            default -> { } // STARTED and the like: nothing a file keeps
        }
    }

    private void append(int stream, FileChannel ch, byte[] b) throws IOException {
        long room = limit - written[stream];
        int n = (int) Math.min(b.length, Math.max(0, room));
        if (n > 0) {
            ch.write(ByteBuffer.wrap(b, 0, n));
            written[stream] += n;
        }
        if (n < b.length && !dropped[stream]) {
            dropped[stream] = true;
            err.write(ByteBuffer.wrap(("mosvm: job " + job + "'s " + (stream == 0 ? "standard output" : "standard error") + " past "
                    + (limit >> 20) + " MiB is dropped (its caller was gone)\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    private void status(String s) throws IOException {
        try (FileChannel ch = create(name + ".status")) {
            ch.write(ByteBuffer.wrap((s + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** A file made new (O_EXCL: never through a name or link already there), the user's, mode 0600. */
    private FileChannel create(String name) throws IOException {
        Path p = dir.resolve(name);
        FileChannel ch = FileChannel.open(p, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            own(p, uid, gid);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /** Gives a file to the user without following a link (lchown): a name swapped for a link meanwhile changes only the link. */
    private static void own(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Closes and removes the files: the job's caller came back, so nothing was written to them. */
    synchronized void discard() {
        close();
        for (String suffix : new String[] {".out", ".err"}) {
            try {
                Files.deleteIfExists(dir.resolve(name + suffix));
            } catch (IOException e) {
                // an empty file its owner may remove
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (FileChannel ch : new FileChannel[] {out, err}) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing more to write
            }
        }
    }
}

package dev.mosvm.agent.jobs;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * A job's stdout and stderr opened through its supervisor's fds 1 and 2 in /proc (opening a
 * pipe's fd there opens the pipe itself). Plain file streams, so a pump reads them through a
 * {@link java.nio.channels.FileChannel}, whose blocked read a close ends without taking
 * anything from the pipe: an agent that stops leaves the job's unread output in its pipes for
 * the next one ({@link Job#stopReading}). A Process's own streams cannot be stopped so.
 */
final class JobPipes {
    private static final Logger LOG = Logger.getLogger(JobPipes.class.getName());

    private JobPipes() {}

    /** Supervisor {@code pid}'s job output, {stdout, stderr}. */
    static InputStream[] open(long pid) throws IOException {
        requirePipe(pid, 1);
        requirePipe(pid, 2);
        InputStream out = new FileInputStream(fd(pid, 1).toFile());
        try {
            return new InputStream[] {out, new FileInputStream(fd(pid, 2).toFile())};
        } catch (IOException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The output of supervisor {@code p}, just started by this agent: opened again through /proc,
     * and the Process's own ends closed (at its exit they would drain the pipes into memory); its
     * Process streams if that cannot be done (it has ended already).
     */
    static InputStream[] of(Process p) {
        try {
            InputStream[] output = open(p.pid());
            p.getInputStream().close();
            p.getErrorStream().close();
            return output;
        } catch (IOException e) {
            LOG.fine("supervisor " + p.pid() + "'s output is read through its Process streams: " + e.getMessage());
            return new InputStream[] {p.getInputStream(), p.getErrorStream()};
        }
    }

    /** Throws unless supervisor {@code pid}'s fd {@code fd} is a pipe (a job's stream, not something the pid's new owner opened). */
    static void requirePipe(long pid, int fd) throws IOException {
        String target = Files.readSymbolicLink(fd(pid, fd)).toString();
        if (!target.startsWith("pipe:")) throw new IOException("fd " + fd + " of supervisor " + pid + " is " + target + ", not a job's pipe");
    }

    static Path fd(long pid, int fd) {
        return Path.of("/proc/" + pid + "/fd/" + fd);
    }
}

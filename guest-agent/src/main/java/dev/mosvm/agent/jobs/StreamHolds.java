package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A supervisor's second hold of its job's standard streams (images/files/usr/local/src/
 * mosvm-launch.c says why): it lets go of the input on SIGUSR1. SIGUSR1 would end a supervisor
 * that has not yet taken it (its default action), and one just started may not have, so the
 * signal goes only once the supervisor is seen catching it; it catches it only with its holds
 * in place.
 */
final class StreamHolds {
    private static final Logger LOG = Logger.getLogger(StreamHolds.class.getName());
    private static final int SIGUSR1 = 10;
    /** How long a supervisor just started may take to catch SIGUSR1. */
    static final long CATCH_MILLIS = 5_000;

    private StreamHolds() {}

    /** Tells supervisor {@code pid} to let go of its job's input; nothing if it has ended. */
    static void letGoOfInput(long pid) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CATCH_MILLIS);
        while (!catches(pid, SIGUSR1)) {
            if (JobRecords.startTime(pid) < 0) return; // ended (a zombie's handlers are gone too)
            if (System.nanoTime() > deadline) throw new IOException("supervisor " + pid + " never took SIGUSR1: its job's input stays open");
            pause();
        }
        Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(pid)).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        try {
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) LOG.fine("kill -USR1 " + pid + " failed: it has ended");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Whether process {@code pid} catches {@code signal} ({@code SigCgt} in /proc/PID/status); false if it is gone. */
    static boolean catches(long pid, int signal) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("SigCgt:")) return (Long.parseUnsignedLong(line.substring(7).strip(), 16) >>> (signal - 1) & 1) == 1;
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return false;
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}

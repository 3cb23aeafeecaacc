package dev.mosvm.agent.guard;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose opening is not done in time. A read timeout alone does not bound
 * an opening (a client sending a byte just inside each timeout keeps it going), and a Unix
 * socket channel has none; closing the connection makes a blocked read fail at once, which
 * frees the thread serving it. One timer thread serves every deadline of the agent.
 */
public final class Deadline implements AutoCloseable {
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "deadlines");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true); // met deadlines leave nothing behind
        return t;
    }

    private final long millis;
    private final ScheduledFuture<?> timeout;
    private volatile boolean expired;

    private Deadline(Closeable connection, long millis) {
        this.millis = millis;
        this.timeout = TIMER.schedule(() -> {
            expired = true;
            try {
                connection.close();
            } catch (IOException | RuntimeException e) {
                // closed already
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    /** Closes {@code connection} in {@code millis} unless this deadline is closed first. */
    public static Deadline closing(Closeable connection, long millis) {
        return new Deadline(connection, millis);
    }

    /** Whether the connection was closed for being late. */
    public boolean expired() {
        return expired;
    }

    /**
     * Throws if the deadline passed (whatever else went wrong meanwhile is its consequence), so
     * the refusal names the cause; does nothing otherwise.
     */
    public void check(String what) throws IOException {
        if (expired) throw new IOException(what + " not done within " + Supervised.seconds(millis) + " s");
    }

    /** Stops watching: the opening is done (or failed by itself). */
    @Override
    public void close() {
        timeout.cancel(false);
    }
}

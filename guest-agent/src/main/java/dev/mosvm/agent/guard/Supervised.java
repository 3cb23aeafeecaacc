package dev.mosvm.agent.guard;

import java.util.Locale;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A task the agent keeps running whatever it throws: a periodic one (gossip ticks, balancing
 * rounds, NFS shares, speed readings, a job's reattaching) or a loop (a server's accepts, the
 * gossip receiver), each on a thread of its own. A {@code ScheduledExecutorService} stops
 * scheduling a task for ever after its first exception, and an Error ends a plain thread
 * without a word; here a run that throws anything, OutOfMemoryError and StackOverflowError
 * included, is logged as "NAME failed: WHAT; restarting in N s" and the task runs again after a
 * pause that doubles with each failure in a row, from its period up to
 * {@link ServingLimits#RESTART_BACKOFF_MAX_MILLIS}. A run that succeeds ends the streak.
 *
 * <p>A periodic task keeps its one schedule (paused runs are skipped, not rescheduled), so
 * restarting it needs no memory: it comes back even when a failure left none to spare.
 */
public final class Supervised implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Supervised.class.getName());
    private static final AtomicLong ALL_RESTARTS = new AtomicLong();

    /** One run of a task that ends by itself: returns whether it is to run again. */
    @FunctionalInterface
    public interface Step {
        boolean run() throws Exception;
    }

    /** One run of a task that runs until it is closed. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** How a loop waits out its pause (a test's records the pauses instead). */
    @FunctionalInterface
    interface Pause {
        void sleep(long millis) throws InterruptedException;
    }

    private final String name;
    /** The period of a periodic task; 0 for a loop. */
    private final long periodMillis;
    private final Step step;
    private final Pause pause;
    private final AtomicLong restarts = new AtomicLong();
    private volatile boolean stopped;
    private volatile Runnable onStop = () -> { };
    /** Only the task's own thread reads and writes these. */
    private int failuresInARow;
    private long turnsToSkip;

    Supervised(String name, long periodMillis, Step step, Pause pause) {
        this.name = name;
        this.periodMillis = periodMillis;
        this.step = step;
        this.pause = pause;
    }

    /** Runs {@code action} every {@code periodMillis} (after the previous run ends) until closed. */
    public static Supervised periodic(String name, long initialDelayMillis, long periodMillis, Action action) {
        return schedule(name, initialDelayMillis, periodMillis, false, forever(action));
    }

    /** As {@link #periodic}, but every run starts {@code periodMillis} after the previous one started. */
    public static Supervised periodicAtRate(String name, long initialDelayMillis, long periodMillis, Action action) {
        return schedule(name, initialDelayMillis, periodMillis, true, forever(action));
    }

    /** Runs {@code step} every {@code periodMillis} until it returns false or is closed. */
    public static Supervised periodicWhile(String name, long initialDelayMillis, long periodMillis, Step step) {
        return schedule(name, initialDelayMillis, periodMillis, false, step);
    }

    /**
     * Runs {@code step} again and again on a thread named {@code name} until it returns false
     * or is closed: one accept, one datagram. Closing does not interrupt a blocked step; close
     * what it blocks on (its socket) as well.
     */
    public static Supervised loop(String name, Step step) {
        Supervised s = new Supervised(name, 0, step, Thread::sleep);
        Thread t = new Thread(s::runLoop, name);
        t.setDaemon(true);
        t.start();
        return s;
    }

    private static Step forever(Action action) {
        return () -> {
            action.run();
            return true;
        };
    }

    private static Supervised schedule(String name, long initialDelayMillis, long periodMillis, boolean atRate, Step step) {
        if (periodMillis <= 0) throw new IllegalArgumentException("a periodic task needs a period: " + name);
        Supervised s = new Supervised(name, periodMillis, step, Thread::sleep);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        s.onStop = timer::shutdown;
        if (atRate) {
            timer.scheduleAtFixedRate(s::turn, initialDelayMillis, periodMillis, TimeUnit.MILLISECONDS);
        } else {
            timer.scheduleWithFixedDelay(s::turn, initialDelayMillis, periodMillis, TimeUnit.MILLISECONDS);
        }
        return s;
    }

    /** One scheduled turn of a periodic task: runs it unless it is pausing after a failure. Never throws. */
    void turn() {
        if (stopped) return;
        if (turnsToSkip > 0) {
            turnsToSkip--;
            return;
        }
        try {
            boolean again = step.run();
            failuresInARow = 0;
            if (!again) close();
        } catch (Throwable t) {
            if (stopped) return; // closing cut it short
            long turns = pauseMillis(periodMillis, ++failuresInARow) / periodMillis;
            turnsToSkip = turns - 1;
            failed(t, turns * periodMillis);
        }
    }

    /** The loop, on the calling thread (its own thread, or a test's). */
    void runLoop() {
        while (!stopped) {
            try {
                if (!step.run()) stopped = true;
                failuresInARow = 0;
            } catch (Throwable t) {
                if (stopped) return;
                long millis = pauseMillis(ServingLimits.LOOP_RESTART_MILLIS, ++failuresInARow);
                failed(t, millis);
                try {
                    pause.sleep(millis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * The pause after the {@code failuresInARow}-th failure in a row: {@code base} doubled for
     * each earlier one, at most {@link ServingLimits#RESTART_BACKOFF_MAX_MILLIS} but never less
     * than {@code base}.
     */
    static long pauseMillis(long base, int failuresInARow) {
        int doublings = Math.min(Math.max(failuresInARow - 1, 0), 30);
        return Math.max(base, Math.min(ServingLimits.RESTART_BACKOFF_MAX_MILLIS, base << doublings));
    }

    private void failed(Throwable t, long pauseMillis) {
        long n = restarts.incrementAndGet();
        ALL_RESTARTS.incrementAndGet();
        try {
            String line = name + " failed: " + t + "; restarting in " + seconds(pauseMillis) + " s (restart " + n + ")";
            // the first failure of a streak with its stack: where it broke; the rest one line each
            if (failuresInARow == 1) {
                LOG.log(Level.WARNING, line, t);
            } else {
                LOG.warning(line);
            }
        } catch (Throwable e) {
            // logging needs memory too; the count stands, and the next failure tries again
        }
    }

    static String seconds(long millis) {
        return millis % 1000 == 0 ? String.valueOf(millis / 1000) : String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }

    /** How often this task has failed and been restarted. */
    public long restarts() {
        return restarts.get();
    }

    /** Restarts of every supervised task in this JVM (one agent per appliance): what the agent's facts report. */
    public static long allRestarts() {
        return ALL_RESTARTS.get();
    }

    public boolean stopped() {
        return stopped;
    }

    /** Stops the task: no run starts after this (one under way finishes). */
    @Override
    public void close() {
        stopped = true;
        onStop.run();
    }
}

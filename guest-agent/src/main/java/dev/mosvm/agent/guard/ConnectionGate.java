package dev.mosvm.agent.guard;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Admits a server's connections up to a bound overall and per key (a remote address, a local
 * user), and refuses the rest at once: the caller closes a refused connection without reading
 * it, so an excess one costs nothing but the accept. Refusals are counted and logged at most
 * once per {@link ServingLimits#REFUSAL_LOG_MILLIS}.
 */
public final class ConnectionGate {
    private static final Logger LOG = Logger.getLogger(ConnectionGate.class.getName());
    private static final AtomicLong ALL_REFUSED = new AtomicLong();

    private final String what;
    private final int overall;
    private final int perKey;
    private final Map<String, Integer> open = new HashMap<>();
    private int total;
    private final AtomicLong refused = new AtomicLong();
    private final LogThrottle log;

    /**
     * @param what    what is admitted, for the log ("peer connections opening")
     * @param overall how many may be open at once
     * @param perKey  how many of them may share one key
     */
    public ConnectionGate(String what, int overall, int perKey, LogThrottle log) {
        this.what = what;
        this.overall = overall;
        this.perKey = perKey;
        this.log = log;
    }

    public ConnectionGate(String what, int overall, int perKey) {
        this(what, overall, perKey, LogThrottle.refusals());
    }

    /** One admitted connection's place; closing it (once or more) frees the place. */
    public final class Permit implements AutoCloseable {
        private final String key;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) release(key);
        }
    }

    /** A place for a connection from {@code key}, or null if it is over a bound (counted and logged). */
    public Permit admit(String key) {
        int mine;
        int all;
        synchronized (this) {
            mine = open.getOrDefault(key, 0);
            all = total;
            if (all < overall && mine < perKey) {
                open.put(key, mine + 1);
                total++;
                return new Permit(key);
            }
        }
        refused.incrementAndGet();
        ALL_REFUSED.incrementAndGet();
        long unlogged = log.event();
        if (unlogged >= 0) {
            LOG.warning("refused " + what + " from " + key + ": "
                    + (mine >= perKey ? mine + " open from there, the most one may hold" : all + " open, the most this agent holds")
                    + LogThrottle.since(unlogged));
        }
        return null;
    }

    /**
     * A place for a connection from {@code key}, waiting up to {@code waitMillis} for one to free
     * when it is over a bound: for a burst that is legitimate, such as a script starting dozens of
     * jobs at once, whose callers should queue rather than be turned away. Null (counted and logged)
     * if none frees in time.
     */
    public Permit admitWithin(String key, long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        synchronized (this) {
            while (total >= overall || open.getOrDefault(key, 0) >= perKey) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) break;
                wait(left);
            }
        }
        return admit(key);
    }

    private synchronized void release(String key) {
        total--;
        open.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
        notifyAll();
    }

    /** Connections refused so far. */
    public long refused() {
        return refused.get();
    }

    /** Connections admitted and not yet closed. */
    public synchronized int open() {
        return total;
    }

    /** Connections refused by every gate of this JVM (one agent per appliance): what the agent's facts report. */
    public static long allRefused() {
        return ALL_REFUSED.get();
    }
}

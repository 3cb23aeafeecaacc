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
    private volatile Runnable released;

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
        Permit p = tryAdmit(key);
        if (p != null) return p;
        int mine;
        int all;
        synchronized (this) {
            mine = open.getOrDefault(key, 0);
            all = total;
        }
        refuse(key, mine >= perKey ? mine + " open from there, the most one may hold" : all + " open, the most this agent holds");
        return null;
    }

    /** A place for a connection from {@code key}, or null if it is over a bound; a null here is no refusal yet (see {@link WaitingRoom}). */
    public synchronized Permit tryAdmit(String key) {
        int mine = open.getOrDefault(key, 0);
        if (total >= overall || mine >= perKey) return null;
        open.put(key, mine + 1);
        total++;
        return new Permit(key);
    }

    /** Counts a connection from {@code key} refused, and logs it (at most once an interval) with {@code why}. */
    public void refuse(String key, String why) {
        refused.incrementAndGet();
        ALL_REFUSED.incrementAndGet();
        long unlogged = log.event();
        if (unlogged >= 0) LOG.warning("refused " + what + " from " + key + ": " + why + LogThrottle.since(unlogged));
    }

    /** Runs {@code listener} after each place frees, outside this gate's lock (one listener: a {@link WaitingRoom}'s). */
    void onRelease(Runnable listener) {
        this.released = listener;
    }

    private void release(String key) {
        synchronized (this) {
            total--;
            open.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
        }
        Runnable r = released;
        if (r != null) r.run();
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

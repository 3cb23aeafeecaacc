package dev.mosvm.api;

/**
 * Found a pool named {@code pool}; its first join token expires after {@code tokenTtlSeconds}
 * and admits {@code tokenUses} nodes (null: one).
 * {@code intervalMillis} and {@code window} set the pool's gossip (0 = defaults: 1 s, 64);
 * {@code plainPageStreams}, that migrations send pages unsealed (a network the pool trusts).
 */
public record PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window, boolean plainPageStreams,
                              Integer tokenUses) {
    /** A pool that seals its page streams. */
    public PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window) {
        this(pool, tokenTtlSeconds, intervalMillis, window, false, null);
    }

    public PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window, boolean plainPageStreams) {
        this(pool, tokenTtlSeconds, intervalMillis, window, plainPageStreams, null);
    }

    public static final long MIN_INTERVAL_MILLIS = 100;
    public static final long MAX_INTERVAL_MILLIS = 60_000;
    public static final int MAX_WINDOW = 1024;

    /** Null if the tunables are acceptable (0 = default), else what is wrong. */
    public static String checkTunables(long intervalMillis, int window) {
        if (intervalMillis != 0 && (intervalMillis < MIN_INTERVAL_MILLIS || intervalMillis > MAX_INTERVAL_MILLIS)) {
            return "invalid --interval-ms " + intervalMillis + ": use " + MIN_INTERVAL_MILLIS + " to " + MAX_INTERVAL_MILLIS;
        }
        if (window < 0 || window > MAX_WINDOW) return "invalid --window " + window + ": use 1 to " + MAX_WINDOW;
        return null;
    }
}

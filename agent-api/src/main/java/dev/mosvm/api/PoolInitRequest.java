package dev.mosvm.api;

/**
 * Found a pool named {@code pool}; its first join token expires after {@code tokenTtlSeconds}
 * and admits {@code tokenUses} nodes (null: one).
 * {@code intervalMillis} and {@code window} set the pool's gossip (0 = defaults: 1 s, 64);
 * {@code plainPageStreams}, that migrations send pages unsealed (a network the pool trusts).
 * {@code overlay}: {@link #OVERLAY_WIREGUARD} carries all pool traffic between appliances over
 * an encrypted WireGuard overlay (across machines and NATs); {@link #OVERLAY_PLAIN} or null, over
 * the appliances' own network (one trusted machine).
 */
public record PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window, boolean plainPageStreams,
                              Integer tokenUses, String overlay) {
    public static final String OVERLAY_WIREGUARD = "wireguard";
    public static final String OVERLAY_PLAIN = "plain";

    public PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window, boolean plainPageStreams, Integer tokenUses) {
        this(pool, tokenTtlSeconds, intervalMillis, window, plainPageStreams, tokenUses, null);
    }

    /** A pool that seals its page streams. */
    public PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window) {
        this(pool, tokenTtlSeconds, intervalMillis, window, false, null, null);
    }

    public PoolInitRequest(String pool, long tokenTtlSeconds, long intervalMillis, int window, boolean plainPageStreams) {
        this(pool, tokenTtlSeconds, intervalMillis, window, plainPageStreams, null, null);
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

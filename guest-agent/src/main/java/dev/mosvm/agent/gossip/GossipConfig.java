package dev.mosvm.agent.gossip;

/**
 * Tunables of the load-information gossip. Ages and thresholds are in milliseconds of each
 * agent's own monotonic clock; entries carry ages, never timestamps, so clocks need not agree.
 *
 * @param intervalMillis    how often each agent sends one message to one random peer. Shorter
 *                          means fresher views and more traffic (both linear in 1/interval).
 * @param window            entries per message (the youngest, own entry first). The mean age
 *                          of the view is about N/window + ln N + 2 intervals, so a larger window
 *                          buys freshness in big pools at window x ~50 bytes per message.
 * @param suspectAfterMillis an entry older than this marks its node SUSPECT. Must exceed the
 *                          normal maximum age (a few times N/window intervals) or healthy
 *                          nodes flap.
 * @param deadAfterMillis   older than this: DEAD, no longer a gossip target.
 * @param forgetAfterMillis older than this (or LEFT for this long): dropped from the board.
 * @param syncEveryIntervals anti-entropy: every this many intervals, exchange whole boards
 *                          with one random member, so membership heals after simultaneous
 *                          joins or partitions. Costs a whole board (~50 bytes a node) each
 *                          way per period: scale it with the pool (see forPoolSize).
 */
public record GossipConfig(long intervalMillis, int window, long suspectAfterMillis, long deadAfterMillis,
                           long forgetAfterMillis, int syncEveryIntervals) {

    public GossipConfig {
        if (intervalMillis <= 0) throw new IllegalArgumentException("interval must be positive");
        if (window < 1 || window > GossipCodec.MAX_ENTRIES) {
            throw new IllegalArgumentException("window must be 1.." + GossipCodec.MAX_ENTRIES);
        }
        if (syncEveryIntervals < 1) throw new IllegalArgumentException("sync period must be at least 1 interval");
        if (!(suspectAfterMillis > intervalMillis && deadAfterMillis > suspectAfterMillis
                && forgetAfterMillis > deadAfterMillis)) {
            throw new IllegalArgumentException("need interval < suspect-after < dead-after < forget-after");
        }
    }

    /** A workstation pool of up to a few hundred nodes: 1 s interval, window 64. */
    public static GossipConfig lan() {
        return new GossipConfig(1000, 64, 10_000, 30_000, 300_000, 30);
    }

    /**
     * The LAN profile's thresholds scaled to another interval and window (a pool founder's
     * choice, which every member inherits). 0 means the LAN default.
     */
    public static GossipConfig of(long intervalMillis, int window) {
        long iv = intervalMillis == 0 ? 1000 : intervalMillis;
        int w = window == 0 ? 64 : window;
        return new GossipConfig(iv, w, 10 * iv, 30 * iv, 300 * iv, 30);
    }

    /** Tests with a handful of local agents: fast interval, failures seen in seconds. */
    public static GossipConfig test() {
        return new GossipConfig(200, 16, 2_000, 4_000, 30_000, 10);
    }

    /** Thresholds scaled to a pool of n nodes (ages grow with n/window). */
    public static GossipConfig forPoolSize(int n, long intervalMillis, int window) {
        long expectedMax = (long) ((3.0 * n / window + 3 * Math.log(Math.max(n, 2)) + 5) * intervalMillis);
        // the simulator's maximum ages at 1,000 nodes reach about 2x the expected figure under loss
        long suspect = Math.max(10 * intervalMillis, 3 * expectedMax);
        // a whole-board exchange every n/10 intervals costs about 10 bytes/s per node
        return new GossipConfig(intervalMillis, window, suspect, 3 * suspect, 30 * suspect, Math.max(30, n / 10));
    }
}

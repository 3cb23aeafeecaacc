package dev.mosvm.agent;

/**
 * A short calibrated CPU benchmark giving the node's relative speed, as MOSIX's speed
 * figure does: integer arithmetic and cache-resident memory traffic, best of several
 * short rounds (so a busy neighbour or JIT warm-up does not set the figure).
 * 1.0 is {@link #REFERENCE_OPS_PER_SECOND}: one core of the 2026 reference CI machine
 * running natively.
 */
public final class SpeedBenchmark {
    /** Loop iterations per second of the reference core (measured natively; see docs/benchmarks.md). */
    static final double REFERENCE_OPS_PER_SECOND = 1.0e9;
    private static final int ROUND_OPS = 1 << 21;
    private static final int WARM_CALLS = 300;

    private SpeedBenchmark() {}

    /** Runs rounds for about {@code budgetMillis} and returns the relative speed. */
    public static double measure(long budgetMillis) {
        // many short calls first, so the JIT compiles the whole method (by its invocation count)
        // before any round is timed: timed rounds alone left to on-stack replacement once gave
        // an idle uncapped VM a reading 4.5 times too low, twice in a row (BalanceIT, CI)
        for (int i = 0; i < WARM_CALLS; i++) sink ^= round(256);
        long deadline = System.nanoTime() + budgetMillis * 1_000_000L;
        double best = Double.MAX_VALUE;
        int rounds = 0;
        do {
            long t0 = System.nanoTime();
            sink ^= round(ROUND_OPS);
            best = Math.min(best, System.nanoTime() - t0);
            rounds++;
        } while (System.nanoTime() < deadline || rounds < 3);
        return Math.round(ROUND_OPS / (best / 1e9) / REFERENCE_OPS_PER_SECOND * 1000.0) / 1000.0;
    }

    static volatile long sink;

    static long round(int ops) {
        int[] table = new int[4096];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < ops; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            int slot = (int) (x & 4095);
            table[slot] += (int) x;
        }
        return x + table[(int) (x & 4095)];
    }
}

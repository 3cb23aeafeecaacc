package dev.mosvm.agent.node;

import dev.mosvm.agent.layout.GuestLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * A short calibrated CPU benchmark giving the node's relative speed, as MOSIX's speed
 * figure does: integer arithmetic and cache-resident memory traffic, best of several
 * short rounds (so a busy neighbour or JIT warm-up does not set the figure).
 * 1.0 is {@link #REFERENCE_OPS_PER_SECOND}: one core of the 2026 reference CI machine
 * running natively.
 *
 * <p>In the appliance the loop runs as the native {@code mosvm-speed} (images/files/usr/local/src),
 * best of {@link #NATIVE_RUNS} processes: under TCG one JVM ran it ten times too slowly for its
 * whole life (a node read 0.010-0.015 where it was 0.149 after an agent restart, and got no jobs),
 * and a short loop's emulated speed varies about twofold from one process to the next. Natively
 * both forms of the loop run at the same rate (0.54-0.57 and 0.56 here), so the figures agree.
 * Outside the appliance (tests, agents on a host) the Java loop below.
 */
public final class SpeedBenchmark {
    private static final Logger LOG = Logger.getLogger(SpeedBenchmark.class.getName());
    /** Loop iterations per second of the reference core (measured natively; see docs/benchmarks.md). */
    static final double REFERENCE_OPS_PER_SECOND = 1.0e9;
    static final Path NATIVE = GuestLayout.SPEED_TOOL;
    static final int NATIVE_RUNS = 3;
    private static final int ROUND_OPS = 1 << 21;
    private static final int WARM_CALLS = 300;

    private SpeedBenchmark() {}

    /** Measures for about {@code budgetMillis} and returns the relative speed: natively in the appliance, else in Java. */
    public static double measure(long budgetMillis) {
        if (Files.isExecutable(NATIVE)) {
            try {
                return measureNatively(NATIVE, budgetMillis);
            } catch (IOException e) {
                LOG.warning(NATIVE + " failed (" + e.getMessage() + "); measuring in Java");
            }
        }
        return measureInJava(budgetMillis);
    }

    /** The best of {@link #NATIVE_RUNS} runs of the native loop, each given a share of the budget. */
    static double measureNatively(Path tool, long budgetMillis) throws IOException {
        long each = Math.max(50, budgetMillis / NATIVE_RUNS);
        double best = 0;
        for (int i = 0; i < NATIVE_RUNS; i++) {
            Process p = new ProcessBuilder(tool.toString(), String.valueOf(each)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            try {
                if (p.waitFor() != 0) throw new IOException("exit " + p.exitValue() + ": " + out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            try {
                best = Math.max(best, Double.parseDouble(out));
            } catch (NumberFormatException e) {
                throw new IOException("printed " + out);
            }
        }
        return Math.round(best / REFERENCE_OPS_PER_SECOND * 1000.0) / 1000.0;
    }

    /** Runs rounds of the Java loop for about {@code budgetMillis} and returns the relative speed. */
    static double measureInJava(long budgetMillis) {
        // many short calls first, so the JIT compiles the whole method (by its invocation count)
        // before any round is timed: rounds left to on-stack replacement can read an idle,
        // uncapped VM several times too slow
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

package dev.mosvm.agent.balance;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Free memory a little ahead, from its recent samples: the current value plus the fall over
 * the sampled window, extended over a horizon (rises are ignored: a node is not trusted to
 * free memory it has not freed yet). Pure, so its arithmetic is unit tested.
 */
public final class FreeMemoryTrend {
    private final long windowMillis;
    private final Deque<long[]> samples = new ArrayDeque<>();

    public FreeMemoryTrend(long windowMillis) {
        this.windowMillis = windowMillis;
    }

    /** Records {@code freeKb} at {@code nowMillis}; returns the free memory expected {@code horizonSeconds} later. */
    public synchronized long predict(long nowMillis, long freeKb, double horizonSeconds) {
        samples.addLast(new long[] {nowMillis, freeKb});
        while (samples.size() > 2 && samples.peekFirst()[0] < nowMillis - windowMillis) samples.removeFirst();
        long[] first = samples.peekFirst();
        double span = (nowMillis - first[0]) / 1000.0;
        if (span < 1) return freeKb;
        double slope = (freeKb - first[1]) / span; // KiB per second
        return slope >= 0 ? freeKb : freeKb + Math.round(slope * horizonSeconds);
    }
}

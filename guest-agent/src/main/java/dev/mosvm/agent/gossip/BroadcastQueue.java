package dev.mosvm.agent.gossip;

import java.util.ArrayList;
import java.util.List;

/**
 * Membership news (a node joined, or left) rides on the next few messages, as in memberlist's
 * TransmitLimitedQueue: every node that learns it passes it on about 4 log10(N+1) times, so
 * it spreads as an epidemic, in O(log N) intervals. The load window alone would take about
 * (N / window) ln N intervals to tell everyone of a new node.
 */
final class BroadcastQueue {
    static final int RETRANSMIT_MULT = 4;
    private final List<long[]> items = new ArrayList<>(); // {slot, transmissions left, arrival order}
    private long arrivals;

    static int limit(int poolSize) {
        return RETRANSMIT_MULT * (int) Math.ceil(Math.log10(poolSize + 1.0));
    }

    void add(int slot, int poolSize) {
        for (long[] it : items) {
            if (it[0] == slot) {
                it[1] = limit(poolSize);
                it[2] = arrivals++;
                return;
            }
        }
        items.add(new long[] {slot, limit(poolSize), arrivals++});
    }

    /** Up to {@code max} slots to piggyback now: least sent first, then newest; each use counts. */
    int[] take(int max) {
        items.sort((a, b) -> a[1] != b[1] ? Long.compare(b[1], a[1]) : Long.compare(b[2], a[2]));
        int n = Math.min(max, items.size());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) items.get(i)[0];
            items.get(i)[1]--;
        }
        items.removeIf(it -> it[1] <= 0);
        return out;
    }

    int size() {
        return items.size();
    }
}

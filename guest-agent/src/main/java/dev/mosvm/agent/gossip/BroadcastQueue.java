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
    private final List<int[]> items = new ArrayList<>(); // {slot, transmissions left}

    static int limit(int poolSize) {
        return RETRANSMIT_MULT * (int) Math.ceil(Math.log10(poolSize + 1.0));
    }

    void add(int slot, int poolSize) {
        for (int[] it : items) {
            if (it[0] == slot) {
                it[1] = limit(poolSize);
                return;
            }
        }
        items.add(new int[] {slot, limit(poolSize)});
    }

    /** Up to {@code max} slots to piggyback now, least-sent first; each use counts. */
    int[] take(int max) {
        items.sort((a, b) -> Integer.compare(b[1], a[1]));
        int n = Math.min(max, items.size());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = items.get(i)[0];
            items.get(i)[1]--;
        }
        items.removeIf(it -> it[1] <= 0);
        return out;
    }

    int size() {
        return items.size();
    }
}

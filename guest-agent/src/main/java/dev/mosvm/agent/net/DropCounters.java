package dev.mosvm.agent.net;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Packets the agent refused, by reason: visible in its status, never a crash. */
public final class DropCounters {
    public enum Reason {
        OVERSIZED, MALFORMED, UNAUTHENTICATED, REPLAYED, STALE,
        /** From a node removed from the pool, or under a key retired since. */
        REVOKED,
        /** Gossip entries without their node's signature, or of a node whose key is not known here yet. */
        UNPROVEN,
        /** Gossip entries whose signature is not their node's: a member announcing another. */
        FORGED
    }

    private final Map<Reason, AtomicLong> counts = new EnumMap<>(Reason.class);

    public DropCounters() {
        for (Reason r : Reason.values()) counts.put(r, new AtomicLong());
    }

    public void count(Reason r) {
        counts.get(r).incrementAndGet();
    }

    public void count(Reason r, int n) {
        if (n > 0) counts.get(r).addAndGet(n);
    }

    public long get(Reason r) {
        return counts.get(r).get();
    }

    public long total() {
        return counts.values().stream().mapToLong(AtomicLong::get).sum();
    }

    @Override
    public String toString() {
        return counts.toString();
    }
}

package dev.mosvm.agent.balance;

import java.util.HashMap;
import java.util.Map;

/**
 * Targets left out of this node's decisions for a while after they refused a job or a move to
 * them failed: their refusal says their fresh load differs from what the gossip shows, and
 * the gossip will go on showing it until it catches up. Pure: the time is an argument.
 */
public final class Cooldowns {
    private final long coolMillis;
    private final Map<String, Long> until = new HashMap<>();

    public Cooldowns(long coolMillis) {
        this.coolMillis = coolMillis;
    }

    /** {@code node} refused a job, or a move to it failed, at {@code nowMillis}. */
    public synchronized void refused(String node, long nowMillis) {
        until.put(node, nowMillis + coolMillis);
    }

    /** Whether {@code node} is still left out at {@code nowMillis}. */
    public synchronized boolean cooling(String node, long nowMillis) {
        Long t = until.get(node);
        return t != null && t > nowMillis;
    }
}

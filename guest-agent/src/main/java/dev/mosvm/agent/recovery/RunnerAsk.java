package dev.mosvm.agent.recovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When a home asks the node one of its jobs runs on whether it still has the job, and whether
 * its answers say it does not. Pure: the caller asks and reports the answers.
 *
 * <p>Only a runner whose link to home has been down for {@link #LINK_DOWN} is asked (a runner's
 * link reattaches within a second or two, and a job just sent to a peer has its link as soon as
 * the peer answers), at most every {@link #EVERY}, one question at a time. The job counts as
 * disowned after two "no"s at least {@link #EVERY} apart with the link down all along: a job
 * that exited while its link was down has its runner reattach to deliver the status (it retries
 * every few seconds) before the second answer. Any answer from another node, a "yes", an error
 * or no answer, and the link coming back, start over: only gossip decides an unreachable node is
 * gone.
 */
public final class RunnerAsk {
    /** How long the runner's link is down before it is asked. */
    public static final Duration LINK_DOWN = Duration.ofSeconds(5);
    /** Between two questions about one job. */
    public static final Duration EVERY = Duration.ofSeconds(10);
    /** How long an answer may take. */
    public static final Duration DEADLINE = Duration.ofSeconds(5);

    private final Clock clock;
    private String node;
    private Instant downSince;
    private Instant asked;
    private boolean waiting;
    /** Counts link-down spells, so an answer to a question from an earlier one is not counted. */
    private long spell;
    private long askedIn = -1;
    private int noes;

    public RunnerAsk(Clock clock) {
        this.clock = clock;
    }

    /**
     * Whether to ask {@code node} now (then the caller asks, and reports with {@link #answered}).
     *
     * @param linked whether the node's link to home is up
     */
    public synchronized boolean due(String node, boolean linked) {
        Instant now = clock.instant();
        if (linked || !node.equals(this.node)) {
            this.node = node;
            spell++;
            noes = 0;
            asked = null;
            downSince = linked ? null : now;
            return false;
        }
        if (downSince == null) downSince = now;
        if (waiting || now.isBefore(downSince.plus(LINK_DOWN))) return false;
        if (asked != null && now.isBefore(asked.plus(EVERY))) return false;
        asked = now;
        askedIn = spell;
        waiting = true;
        return true;
    }

    /** @param has the node's answer: true, false, or null for none (unreachable, an error, too late) */
    public synchronized void answered(String node, Boolean has) {
        waiting = false;
        if (!node.equals(this.node) || askedIn != spell) return;
        noes = Boolean.FALSE.equals(has) ? noes + 1 : 0;
    }

    /** Whether the node has said twice, {@link #EVERY} apart, in one spell of its link down, that it does not have the job. */
    public synchronized boolean disowned() {
        return noes >= 2;
    }
}

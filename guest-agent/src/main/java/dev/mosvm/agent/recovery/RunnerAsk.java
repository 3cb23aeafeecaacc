package dev.mosvm.agent.recovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When a home asks the node one of its jobs runs on whether it still has the job, and what its
 * answers say. Pure: the caller asks and reports the answers.
 *
 * <p>Only a runner whose link to home has been down for {@link #LINK_DOWN} is asked (a runner's
 * link reattaches within a second or two, and a job just sent to a peer has its link as soon as
 * the peer answers), at most every {@link #EVERY}, one question at a time. The job counts as
 * disowned after two "absent"s at least {@link #EVERY} apart with the link down all along: a job
 * that exited while its link was down has its runner reattach to deliver the status (it retries
 * every few seconds) before the second answer. Any answer from another node, any other answer,
 * an error or no answer, and the link coming back, start over: only gossip decides an
 * unreachable node is gone.
 *
 * <p>A node that sent the job on says so, and home follows it ({@link #told()}): "moving to T"
 * (the move's outcome not known yet) keeps home watching that node, as a moving job; "left for
 * T" has home watch T instead, as the moving job's next node, and ask T in turn once T's link
 * has been down for {@link #LINK_DOWN}. A departure of an older copy than home's (a lower epoch)
 * is not the job's, and counts as "absent"; so does one to the node itself.
 */
public final class RunnerAsk {
    /** How long the runner's link is down before it is asked. */
    public static final Duration LINK_DOWN = Duration.ofSeconds(5);
    /** Between two questions about one job. */
    public static final Duration EVERY = Duration.ofSeconds(10);
    /** How long an answer may take. */
    public static final Duration DEADLINE = Duration.ofSeconds(5);

    private final Clock clock;
    /** The job's home: a job that left for it arrives there, so home waits for it rather than watch itself. */
    private final String home;
    private String node;
    private Instant downSince;
    private Instant asked;
    private boolean waiting;
    /** Counts link-down spells, so an answer to a question from an earlier one is not counted. */
    private long spell;
    private long askedIn = -1;
    private int noes;
    private Told told;

    /**
     * Where the asked node places the job, when it says it has it or sent it on: home watches
     * {@code node} from now on, as a moving job's node or not.
     */
    public record Told(String node, boolean moving) {}

    /** What the asked node says of the job (on the wire: {@code wire.Whereabouts}). */
    public enum Says {
        /** It runs there. */
        RUNS,
        /** A move of it from there to {@code Answer.to} is under way. */
        MOVING,
        /** It left there for {@code Answer.to}. */
        LEFT,
        /** It is not there, and the node does not know where it went. */
        ABSENT
    }

    /**
     * The asked node's answer.
     *
     * @param to    where the job is moving or went (MOVING, LEFT); else null
     * @param epoch the epoch of the copy that is moving or left
     */
    public record Answer(Says says, String to, int epoch) {
        public static final Answer RUNS = new Answer(Says.RUNS, null, 0);
        public static final Answer ABSENT = new Answer(Says.ABSENT, null, 0);

        public static Answer moving(String to, int epoch) {
            return new Answer(Says.MOVING, to, epoch);
        }

        public static Answer left(String to, int epoch) {
            return new Answer(Says.LEFT, to, epoch);
        }
    }

    public RunnerAsk(Clock clock, String home) {
        this.clock = clock;
        this.home = home;
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
            told = null;
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

    /**
     * @param answer the node's answer, or null for none (unreachable, an error, too late)
     * @param epoch  the job's epoch as home knows it
     */
    public synchronized void answered(String node, Answer answer, int epoch) {
        waiting = false;
        if (!node.equals(this.node) || askedIn != spell) return;
        Told t = answer == null ? null : placed(node, answer, epoch);
        noes = answer != null && t == null ? noes + 1 : 0;
        if (t != null) told = t;
    }

    /** Where {@code answer} places the job; null if it says the job is not there and went nowhere home can follow. */
    private Told placed(String node, Answer answer, int epoch) {
        return switch (answer.says()) {
            case RUNS -> new Told(node, false);
            case ABSENT -> null;
            case MOVING, LEFT -> {
                if (answer.epoch() < epoch || answer.to().equals(node)) yield null;
                boolean left = answer.says() == Says.LEFT && !answer.to().equals(home);
                yield new Told(left ? answer.to() : node, true);
            }
        };
    }

    /**
     * Where the last counted answer places the job, once (then null until the next answer): the
     * caller moves its record there if the job's link is still down and it still runs on the
     * node asked.
     */
    public synchronized Told told() {
        Told t = told;
        told = null;
        return t;
    }

    /** Whether the node has said twice, {@link #EVERY} apart, in one spell of its link down, that it does not have the job (and not where it went). */
    public synchronized boolean disowned() {
        return noes >= 2;
    }
}

package dev.mosvm.agent.recovery;

import dev.mosvm.api.NodeState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A home's judgement of the node one of its jobs runs on, from the gossip's view of that node,
 * whether the job is moving, whether that node still has it, and the time. A job whose node is
 * gone (DEAD or LEFT in the gossip, or no longer a member), or whose ALIVE node says it no
 * longer has it (its agent restarted), is lost there: home brings it back from its latest
 * checkpoint, or tells its caller instead of letting it wait for an exit that never comes.
 *
 * <p>A job caught moving when its node goes may already run on the next node, which attaches
 * to home once the gone node's link is cut; it gets {@link #MOVE_GRACE} to do so. A node that
 * is only SUSPECT, or back ALIVE, keeps its job unless it disowns it: gossip's dead threshold
 * is the one place that decides a node is gone.
 *
 * <p>A node whose agent restarted is back ALIVE within seconds but no longer has the job (its
 * processes were reaped at the agent's start): when it disowns the job ({@link RunnerAsk}
 * decides when that answer counts), the job is lost too; while moving, the node it moved to
 * gets the same grace to attach.
 *
 * <p>A node that says the job left it for another while its link to home was down hands the
 * job over ({@link #handedOver}): the next node is watched from then on as a moving job's, and
 * a job it disowns in turn is lost with a line naming both.
 */
public final class RunnerWatch {
    /**
     * How long a job caught moving may wait for its next node after the node it left is gone. A
     * move that committed has its next node attach within seconds (long before the node it left
     * turns DEAD); one that did not is given up by its target as soon as the source is gone.
     * With the home's one-second look, a lost job's caller hears within the failure-detection
     * time plus 30 s.
     */
    public static final Duration MOVE_GRACE = Duration.ofSeconds(20);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    public enum Kind {
        /** The node answers (or is only suspected): the job runs there. */
        RUNNING,
        /** The node is gone while the job moves: cut its link and wait for the next node. */
        AWAITING_NEXT_NODE,
        /** The job is lost: end its caller's wait with {@link Verdict#reason()}. */
        LOST
    }

    /** @param reason for LOST, the caller's one line (without the command's prefix); else null */
    public record Verdict(Kind kind, String reason) {
        static final Verdict RUNNING = new Verdict(Kind.RUNNING, null);
        static final Verdict AWAITING = new Verdict(Kind.AWAITING_NEXT_NODE, null);
    }

    private final String job;
    private final Clock clock;
    private String watched;
    private Instant goneSince;
    private Optional<NodeState> goneAs;
    private Verdict lost;
    private Instant disownedSince;
    /** The node that said the job left it for the one watched, while the job has not been seen there yet; else null. */
    private String handedFrom;

    /** @param clock the time, and the zone the caller's line tells it in */
    public RunnerWatch(String job, Clock clock) {
        this.job = job;
        this.clock = clock;
    }

    /**
     * @param node   the node the job runs on, as its home knows it
     * @param state  that node's state in this node's gossip view; empty if it is not a member
     * @param moving whether a move of the job is under way
     */
    public Verdict check(String node, Optional<NodeState> state, boolean moving) {
        return check(node, state, moving, false);
    }

    /**
     * @param disowned whether that node, answering, says it no longer has the job (while its
     *                 link to home is down): its agent restarted, or the job left it
     */
    public synchronized Verdict check(String node, Optional<NodeState> state, boolean moving, boolean disowned) {
        if (lost != null) return lost;
        if (!node.equals(watched)) {
            watched = node;
            goneSince = null;
            disownedSince = null;
            handedFrom = null;
        }
        if (!moving) handedFrom = null; // it attached there, or that node said it runs it
        if (!isGone(state)) {
            goneSince = null;
            return disowned ? disowned(moving) : running();
        }
        Instant now = clock.instant();
        if (goneSince == null) {
            goneSince = now;
            goneAs = state;
        }
        if (!moving) return lost = new Verdict(Kind.LOST, reason(""));
        if (now.isBefore(goneSince.plus(MOVE_GRACE))) return Verdict.AWAITING;
        return lost = new Verdict(Kind.LOST, reason(" while the job was moving, and no node took it over"));
    }

    /**
     * The job runs again, brought back from a checkpoint at its home: the node it runs on next
     * (it may move on at once) is watched afresh, and the verdict on the lost one is forgotten,
     * or that node's loss would bring the job back again once it left home.
     */
    public synchronized void runsAgain() {
        lost = null;
        watched = null;
        goneSince = null;
        disownedSince = null;
        handedFrom = null;
    }

    /** {@code from}, asked, said the job left it for {@code to}: {@code to} is watched from now on, as the node a moving job went to. */
    public synchronized void handedOver(String from, String to) {
        if (lost != null) return;
        watched = to;
        goneSince = null;
        disownedSince = null;
        handedFrom = from;
    }

    private Verdict running() {
        disownedSince = null;
        return Verdict.RUNNING;
    }

    private Verdict disowned(boolean moving) {
        Instant now = clock.instant();
        if (disownedSince == null) disownedSince = now;
        if (!moving) return lost = new Verdict(Kind.LOST, "job " + job + " lost: the agent on " + watched
                + " restarted and no longer has it; it had no checkpoint");
        if (now.isBefore(disownedSince.plus(MOVE_GRACE))) return Verdict.AWAITING;
        if (handedFrom != null) return lost = new Verdict(Kind.LOST, "job " + job + " lost: " + handedFrom + " said it moved to " + watched
                + ", and " + watched + " does not have it; it had no checkpoint");
        return lost = new Verdict(Kind.LOST, "job " + job + " lost: it left " + watched
                + " while moving, and no node took it over; it had no checkpoint");
    }

    /** Whether a node in this state is gone for good: DEAD or LEFT in the gossip, or no longer a member (empty). */
    public static boolean isGone(Optional<NodeState> state) {
        return state.isEmpty() || state.get() == NodeState.DEAD || state.get() == NodeState.LEFT;
    }

    private String reason(String during) {
        String at = TIME.format(LocalTime.ofInstant(goneSince, clock.getZone()).truncatedTo(ChronoUnit.SECONDS));
        String what = goneAs.isEmpty() ? "is no longer in the pool (gone at " + at + ")"
                : goneAs.get() == NodeState.LEFT ? "left the pool (LEFT at " + at + ")"
                : "stopped answering (DEAD at " + at + ")";
        return "job " + job + " lost: its node " + watched + " " + what + during + "; it had no checkpoint";
    }
}

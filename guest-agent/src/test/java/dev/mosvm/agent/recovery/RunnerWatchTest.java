package dev.mosvm.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.recovery.RunnerWatch.Kind;
import dev.mosvm.agent.recovery.RunnerWatch.Verdict;
import dev.mosvm.api.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** When a home gives up a job whose node is gone, and the line its caller reads. */
class RunnerWatchTest {
    final TestClock clock = new TestClock();
    final RunnerWatch watch = new RunnerWatch("a.123", clock);

    static Optional<NodeState> is(NodeState s) {
        return Optional.of(s);
    }

    static final Optional<NodeState> NOT_A_MEMBER = Optional.empty();

    @Test
    void aJobWhoseNodeTurnsDeadIsLostAtOnceWithALineNamingTheNodeAndTheTime() {
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.ALIVE), false).kind());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.SUSPECT), false).kind(), "suspected is not gone");
        clock.advance(Duration.ofSeconds(20));
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: its node b stopped answering (DEAD at 12:35:26); it had no checkpoint"),
                watch.check("b", is(NodeState.DEAD), false));
    }

    @Test
    void aJobBroughtBackFromACheckpointIsWatchedAfreshWhereverItMovesNext() {
        assertEquals(Kind.LOST, watch.check("b", is(NodeState.DEAD), false).kind());
        assertEquals(Kind.LOST, watch.check("c", is(NodeState.ALIVE), false).kind(), "a verdict stands until the job runs again");
        watch.runsAgain(); // recovered at home
        assertEquals(Kind.RUNNING, watch.check("c", is(NodeState.ALIVE), false).kind(), "it moved on to c, which runs it");
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.ALIVE), false).kind(), "or back to b, come back");
        assertEquals(Kind.LOST, watch.check("c", is(NodeState.DEAD), false).kind(), "and a node lost under it later is judged again");
    }

    @Test
    void aNodeThatLeftOrWasRemovedLosesItsJobToo() {
        assertEquals("job a.123 lost: its node b left the pool (LEFT at 12:34:56); it had no checkpoint",
                watch.check("b", is(NodeState.LEFT), false).reason());
        RunnerWatch removed = new RunnerWatch("a.9", clock);
        assertEquals("job a.9 lost: its node c is no longer in the pool (gone at 12:34:56); it had no checkpoint",
                removed.check("c", NOT_A_MEMBER, false).reason());
    }

    @Test
    void aJobCaughtMovingWaitsForItsNextNodeForTheGraceThenIsLost() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.DEAD), true).kind(), "cut b's link, wait for the next node");
        clock.advance(RunnerWatch.MOVE_GRACE.minusMillis(1));
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.DEAD), true).kind());
        clock.advance(Duration.ofMillis(1));
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: its node b stopped answering (DEAD at 12:34:56) while the job was moving, "
                + "and no node took it over; it had no checkpoint"), watch.check("b", is(NodeState.DEAD), true), "the time b was seen gone");
    }

    @Test
    void aJobItsNextNodeTookOverRunsOnWhateverTheNodeItLeftIs() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.DEAD), true).kind());
        clock.advance(Duration.ofSeconds(2));
        assertEquals(Kind.RUNNING, watch.check("c", is(NodeState.ALIVE), false).kind(), "c attached: the job runs there");
        clock.advance(RunnerWatch.MOVE_GRACE);
        assertEquals(Kind.RUNNING, watch.check("c", is(NodeState.ALIVE), false).kind());
        assertEquals(Kind.LOST, watch.check("c", is(NodeState.DEAD), false).kind(), "c is watched from now on");
    }

    @Test
    void aNodeBackAliveWithinTheGraceStartsItOverWhenItGoesAgain() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.DEAD), true).kind());
        clock.advance(Duration.ofSeconds(15));
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.ALIVE), true).kind());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.DEAD), true).kind(), "a new grace from now");
    }

    @Test
    void aLostJobStaysLost() {
        Verdict lost = watch.check("b", is(NodeState.DEAD), false);
        clock.advance(Duration.ofSeconds(5));
        assertEquals(lost, watch.check("b", is(NodeState.ALIVE), false), "its caller has been told");
    }

    @Test
    void aJobWhoseAliveNodeDisownsItIsLostWithALineSayingItsAgentRestarted() {
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.ALIVE), false, false).kind());
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: the agent on b restarted and no longer has it; it had no checkpoint"),
                watch.check("b", is(NodeState.ALIVE), false, true));
        assertEquals(Kind.LOST, watch.check("b", is(NodeState.ALIVE), false, false).kind(), "lost stays lost");
    }

    @Test
    void aMovingJobWhoseNodeDisownsItWaitsForItsNextNodeForTheGrace() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind(), "b let it go: its target attaches");
        clock.advance(RunnerWatch.MOVE_GRACE.minusSeconds(1));
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: it left b while moving, and no node took it over; it had no checkpoint"),
                watch.check("b", is(NodeState.ALIVE), true, true));
    }

    @Test
    void aMovingJobsNextNodeAttachingInTheGraceKeepsIt() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind());
        clock.advance(RunnerWatch.MOVE_GRACE.minusSeconds(1));
        assertEquals(Kind.RUNNING, watch.check("c", is(NodeState.ALIVE), false, false).kind(), "c attached");
        clock.advance(RunnerWatch.MOVE_GRACE);
        assertEquals(Kind.RUNNING, watch.check("c", is(NodeState.ALIVE), false, false).kind());
    }

    @Test
    void aFailedMoveThatKeepsTheJobOnItsNodeStartsTheGraceAfresh() {
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Kind.RUNNING, watch.check("b", is(NodeState.ALIVE), false, false).kind(), "b resumed the job and has it");
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind(), "a new move, a new grace");
        clock.advance(RunnerWatch.MOVE_GRACE.minusSeconds(1));
        assertEquals(Kind.AWAITING_NEXT_NODE, watch.check("b", is(NodeState.ALIVE), true, true).kind());
    }

    /** One look: the runner's state, whether the job moves, and the time since the previous look. */
    record Look(String node, Optional<NodeState> state, boolean moving, Duration after) {}

    @Provide
    Arbitrary<List<Look>> looks() {
        Arbitrary<Optional<NodeState>> states = Arbitraries.of(NOT_A_MEMBER, is(NodeState.ALIVE), is(NodeState.SUSPECT),
                is(NodeState.DEAD), is(NodeState.LEFT));
        return Combinators.combine(Arbitraries.of("b", "c"), states, Arbitraries.of(true, false),
                Arbitraries.longs().between(0, 30_000).map(Duration::ofMillis)).as(Look::new).list().ofMaxSize(40);
    }

    @Property
    void lostOnlyWithItsNodeGoneAndForGood(@ForAll("looks") List<Look> looks) {
        TestClock time = new TestClock();
        RunnerWatch w = new RunnerWatch("a.1", time);
        Verdict lost = null;
        for (Look l : looks) {
            time.advance(l.after());
            Verdict v = w.check(l.node(), l.state(), l.moving());
            if (lost != null) {
                assertEquals(lost, v, "lost stays lost");
            } else if (!RunnerWatch.isGone(l.state())) {
                assertEquals(Kind.RUNNING, v.kind(), "a node that answers keeps its job: " + l);
            } else if (!l.moving()) {
                assertEquals(Kind.LOST, v.kind(), "a gone node with no move under way: " + l);
            }
            if (v.kind() == Kind.LOST) lost = v;
        }
    }
}

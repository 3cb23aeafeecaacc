package dev.mosvm.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.recovery.RunnerAsk.Answer;
import dev.mosvm.agent.recovery.RunnerWatch.Kind;
import dev.mosvm.agent.recovery.RunnerWatch.Verdict;
import dev.mosvm.api.NodeState;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Home a following its job a.123, which ran on b, when b's link to home is down and b says it
 * sent the job on: home looks every second as its job service does (ask when due, move its
 * record where the answer places the job, judge), and its clock is the test's.
 */
class HandOverTest {
    final TestClock clock = new TestClock();
    final RunnerAsk ask = new RunnerAsk(clock, "a");
    final RunnerWatch watch = new RunnerWatch("a.123", clock);
    /** Home's record: where the job runs, and whether it moves. */
    String runner = "b";
    boolean moving;
    final Map<String, NodeState> gossip = new java.util.HashMap<>(Map.of("b", NodeState.ALIVE, "c", NodeState.ALIVE));
    /** The job's epoch as home knows it. */
    int epoch = 1;

    /** Whether the last look asked the job's node. */
    boolean asked;

    /** One look, as JobServer.runnerLost takes it; {@code answer} is the asked node's, if home asks. */
    Verdict look(Answer answer) {
        asked = ask.due(runner, false);
        if (asked) ask.answered(runner, answer, epoch);
        RunnerAsk.Told told = ask.told();
        if (told != null) {
            if (!told.node().equals(runner)) watch.handedOver(runner, told.node());
            runner = told.node();
            moving = told.moving();
        }
        Verdict v = watch.check(runner, Optional.ofNullable(gossip.get(runner)), moving, ask.disowned());
        clock.advance(Duration.ofSeconds(1));
        return v;
    }

    /** Looks until home asks {@code node}, which answers {@code answer}; returns the verdict of that look. */
    Verdict asks(String node, Answer answer) {
        for (int i = 0; i < 30; i++) {
            assertEquals(node, runner, "home watches " + node);
            Verdict v = look(answer);
            if (asked) return v;
        }
        throw new AssertionError("home never asked " + node);
    }

    /** Looks for {@code seconds}, the job's node answering each question with {@code answer}; returns the last verdict. */
    Verdict looks(int seconds, Answer answer) {
        Verdict v = null;
        for (int i = 0; i < seconds; i++) v = look(answer);
        return v;
    }

    @Test
    void aSourceSayingTheJobIsMovingThenLeftHasHomeWatchTheTargetWhichHasIt() {
        assertEquals(Kind.RUNNING, asks("b", Answer.moving("c", 1)).kind());
        assertEquals("b", runner, "the move's outcome is not known: the job is b's until then");
        assertTrue(moving, "as a moving job: if b goes, c gets the grace to attach");
        assertEquals(Kind.RUNNING, asks("b", Answer.left("c", 1)).kind());
        assertEquals("c", runner, "home watches c now");
        assertTrue(moving, "c has not attached yet");
        assertEquals(Kind.RUNNING, asks("c", Answer.RUNS).kind());
        assertEquals("c", runner);
        assertEquals(false, moving, "c runs it");
        assertEquals(Kind.RUNNING, looks(600, Answer.RUNS).kind(), "however long c's link stays down");
    }

    @Test
    void aTargetThatDisownsTheJobInTurnLosesItWithALineNamingBothNodes() {
        asks("b", Answer.left("c", 1));
        assertEquals("c", runner);
        assertEquals(Kind.RUNNING, asks("c", Answer.ABSENT).kind(), "one no may be a job that exited while its link was down");
        assertEquals(Kind.AWAITING_NEXT_NODE, asks("c", Answer.ABSENT).kind(), "a moving job's next node has the grace to attach");
        Verdict v = looks((int) RunnerWatch.MOVE_GRACE.toSeconds(), Answer.ABSENT);
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: b said it moved to c, and c does not have it; it had no checkpoint"), v);
    }

    @Test
    void aTargetThatRanTheJobAndThenDisownsItLosesItAsARestartedAgent() {
        asks("b", Answer.left("c", 1));
        asks("c", Answer.RUNS);
        asks("c", Answer.ABSENT);
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: the agent on c restarted and no longer has it; it had no checkpoint"),
                asks("c", Answer.ABSENT));
    }

    @Test
    void aSourceGoneWhileItSaidTheJobWasMovingGivesItsTargetTheGrace() {
        asks("b", Answer.moving("c", 1));
        gossip.put("b", NodeState.DEAD);
        assertEquals(Kind.AWAITING_NEXT_NODE, looks((int) RunnerWatch.MOVE_GRACE.toSeconds(), null).kind());
        assertEquals(Kind.LOST, look(null).kind(), "no node took it over");
    }

    @Test
    void aFailedMoveLeavesTheJobOnItsSourceAsBefore() {
        asks("b", Answer.moving("c", 1));
        asks("b", Answer.RUNS);
        assertEquals(false, moving, "b resumed it");
        gossip.put("b", NodeState.DEAD);
        assertEquals(Kind.LOST, look(null).kind(), "a gone node with no move under way loses its job at once");
    }

    @Test
    void aDepartureOfAnOlderCopyOrToTheNodeItselfIsANo() {
        epoch = 2; // home recovered the job since: the copy that left b was stale
        assertEquals(Kind.RUNNING, asks("b", Answer.left("c", 1)).kind());
        assertEquals("b", runner);
        assertEquals(new Verdict(Kind.LOST, "job a.123 lost: the agent on b restarted and no longer has it; it had no checkpoint"),
                asks("b", Answer.left("b", 2)), "two noes");
    }

    @Test
    void aJobThatLeftForHomeIsAwaitedThereNotWatched() {
        asks("b", Answer.left("a", 1));
        assertEquals("b", runner, "it arrives at home, which takes it over itself");
        assertTrue(moving);
        assertEquals(Kind.RUNNING, looks(300, Answer.left("a", 1)).kind());
    }
}

package dev.mosvm.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.recovery.RunnerAsk.Answer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When a home asks a job's node whether it still has the job, and when its answers disown it. */
class RunnerAskTest {
    final TestClock clock = new TestClock();
    final RunnerAsk ask = new RunnerAsk(clock, "a");

    /** A node's answer: it has the job, it does not, or none came (null). */
    static Answer says(Boolean has) {
        return has == null ? null : has ? Answer.RUNS : Answer.ABSENT;
    }

    /** Looks every second for {@code seconds}, answering each question with {@code has}; returns how many were asked. */
    int looks(int seconds, String node, boolean linked, Boolean has) {
        int asked = 0;
        for (int i = 0; i < seconds; i++) {
            if (ask.due(node, linked)) {
                asked++;
                ask.answered(node, says(has), 0);
            }
            clock.advance(Duration.ofSeconds(1));
        }
        return asked;
    }

    @Test
    void aLinkedRunnerIsNeverAsked() {
        assertEquals(0, looks(120, "b", true, false));
        assertFalse(ask.disowned());
    }

    @Test
    void aRunnerWhoseLinkIsDownIsAskedAfterFiveSecondsThenEveryTenAndTwoNoesDisownTheJob() {
        assertEquals(0, looks(5, "b", false, false), "a link reattaches within a second or two");
        assertTrue(ask.due("b", false), "down for 5 s");
        ask.answered("b", says(false), 0);
        assertFalse(ask.disowned(), "one no may be a job that exited while its link was down");
        clock.advance(RunnerAsk.EVERY.minusSeconds(1));
        assertFalse(ask.due("b", false), "at most every 10 s");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(ask.due("b", false));
        ask.answered("b", says(false), 0);
        assertTrue(ask.disowned());
    }

    @Test
    void oneQuestionAtATime() {
        looks(5, "b", false, null);
        assertTrue(ask.due("b", false));
        clock.advance(Duration.ofMinutes(1));
        assertFalse(ask.due("b", false), "the first has no answer yet");
        ask.answered("b", says(false), 0);
        assertTrue(ask.due("b", false));
    }

    @Test
    void noAnswerAYesOrTheLinkComingBackStartsOver() {
        looks(5, "b", false, null);
        for (Boolean breaks : new Boolean[] {null, true}) {
            assertTrue(ask.due("b", false));
            ask.answered("b", says(false), 0);
            clock.advance(RunnerAsk.EVERY);
            assertTrue(ask.due("b", false));
            ask.answered("b", says(breaks), 0);
            assertFalse(ask.disowned(), "an unreachable node, or one that has it: " + breaks);
            clock.advance(RunnerAsk.EVERY);
        }
        assertTrue(ask.due("b", false));
        ask.answered("b", says(false), 0);
        assertFalse(ask.due("b", true), "reattached");
        clock.advance(RunnerAsk.EVERY);
        assertFalse(ask.due("b", false), "a new spell of the link down waits its 5 s again");
        assertFalse(ask.disowned());
    }

    @Test
    void anAnswerFromAnEarlierSpellOrAnotherNodeDoesNotCount() {
        looks(5, "b", false, null);
        assertTrue(ask.due("b", false));
        ask.answered("b", says(false), 0);
        clock.advance(RunnerAsk.EVERY);
        assertTrue(ask.due("b", false));
        assertFalse(ask.due("c", false), "the job moved on to c meanwhile");
        ask.answered("b", says(false), 0); // b's late no: the job left it
        assertFalse(ask.disowned());
    }
}

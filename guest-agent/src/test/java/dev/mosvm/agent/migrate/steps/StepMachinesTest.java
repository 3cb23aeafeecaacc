package dev.mosvm.agent.migrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.agent.migrate.steps.Settlement.Decision;
import dev.mosvm.agent.migrate.steps.Settlement.HomeWord;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The machines' transitions, deadlines and the settlement, state by state and outcome by outcome. */
class StepMachinesTest {
    private static final EnumSet<Outcome> FAILURES = EnumSet.of(Outcome.FAILED, Outcome.LATE, Outcome.ANSWER_LOST, Outcome.PEER_GONE);

    @Test
    void theSourceGoesForwardOnlyOnSuccess() {
        assertEquals(SourceState.PRECOPY, SourceMachine.next(SourceState.OFFERED, Outcome.DONE));
        assertEquals(SourceState.PRECOPY, SourceMachine.next(SourceState.PRECOPY, Outcome.DONE));
        assertEquals(SourceState.DUMPING, SourceMachine.next(SourceState.PRECOPY, Outcome.FREEZE));
        assertEquals(SourceState.RESTORING, SourceMachine.next(SourceState.DUMPING, Outcome.DONE));
        assertEquals(SourceState.COMMITTED, SourceMachine.next(SourceState.RESTORING, Outcome.DONE));
        assertEquals(SourceState.MOVED, SourceMachine.next(SourceState.COMMITTED, Outcome.DONE));
    }

    @ParameterizedTest
    @EnumSource(value = SourceState.class, names = {"OFFERED", "PRECOPY", "DUMPING", "RESTORING"})
    void beforeTheCommitEveryFailureKeepsTheJobHere(SourceState s) {
        for (Outcome o : FAILURES) assertEquals(SourceState.STAYED, SourceMachine.next(s, o), s + " " + o);
        assertEquals(SourceState.ENDED, SourceMachine.next(s, Outcome.JOB_ENDED));
    }

    @Test
    void afterTheCommitEveryFailureSettles() {
        for (Outcome o : EnumSet.complementOf(EnumSet.of(Outcome.DONE, Outcome.FREEZE))) {
            assertEquals(SourceState.SETTLING, SourceMachine.next(SourceState.COMMITTED, o), o.toString());
        }
        assertEquals(SourceState.MOVED, SourceMachine.next(Decision.RETIRE));
        assertEquals(SourceState.STAYED, SourceMachine.next(Decision.RESUME));
        assertEquals(SourceState.SETTLING, SourceMachine.next(Decision.ASK_AGAIN));
    }

    @Test
    void nothingLeavesAnEndOrSettlingButASettlement() {
        for (SourceState s : EnumSet.of(SourceState.MOVED, SourceState.STAYED, SourceState.ENDED, SourceState.SETTLING)) {
            assertThrows(IllegalStateException.class, () -> SourceMachine.next(s, Outcome.DONE), s.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> SourceMachine.next(SourceState.DUMPING, Outcome.FREEZE));
    }

    @Test
    void eachSourceStepGetsItsOwnDeadlineFromWhenItBegan() {
        long[] now = {500};
        StepDeadlines d = new StepDeadlines(400L << 20);
        SourceMachine m = new SourceMachine(d, () -> now[0]);
        assertEquals(500 + 60_000, m.deadline());
        now[0] = 2000;
        m.on(Outcome.DONE);
        assertEquals(2000 + 60_000 + 100_000 + 30_000, m.deadline(), "a round: a minute, a second per 4 MiB, an answer");
        now[0] = 5000;
        m.on(Outcome.DONE);
        assertEquals(5000 + 190_000, m.deadline(), "the next round starts its own");
        assertEquals(190_000, m.remaining());
        now[0] = m.deadline();
        assertEquals(0, m.remaining());
        assertEquals(true, m.late());
    }

    @Test
    void deadlinesGrowWithTheJobWhereCriuRuns() {
        StepDeadlines small = new StepDeadlines(0);
        StepDeadlines big = new StepDeadlines(1L << 30);
        assertEquals(60_000, small.criuMillis());
        assertEquals(60_000 + 256_000, big.criuMillis());
        assertEquals(StepDeadlines.GATE_MILLIS, big.millis(SourceState.OFFERED));
        assertEquals(StepDeadlines.ANSWER_MILLIS, big.millis(SourceState.COMMITTED));
        assertEquals(2 * StepDeadlines.ANSWER_MILLIS, big.millis(SourceState.SETTLING), "home's word, then the target's");
        assertEquals(big.criuMillis(), big.millis(TargetState.RESTORING));
        assertEquals(StepDeadlines.ANSWER_MILLIS, big.millis(TargetState.RESTORED), "a restored copy waits half a minute for its commit");
        assertEquals(60_000, new StepDeadlines(-5).criuMillis());
        assertEquals(1000, StepDeadlines.backoffMillis(0));
        assertEquals(8000, StepDeadlines.backoffMillis(3));
        assertEquals(15_000, StepDeadlines.backoffMillis(40));
    }

    @Test
    void theSourcesWaitOutlastsTheTargetsOwnStep() {
        for (long size : new long[] {0, 64L << 20, 2L << 30}) {
            StepDeadlines d = new StepDeadlines(size);
            assert d.millis(SourceState.RESTORING) > d.millis(TargetState.RESTORING);
            assertEquals(d.millis(SourceState.DUMPING), d.millis(TargetState.RECEIVING));
        }
    }

    @Test
    void theTargetRegistersBeforeItRunsAndDropsOnAnyFailureBefore() {
        assertEquals(TargetState.RECEIVING, TargetMachine.next(TargetState.ACCEPTED, TargetMachine.Event.ROUND));
        assertEquals(TargetState.RECEIVING, TargetMachine.next(TargetState.RECEIVING, TargetMachine.Event.ROUND));
        assertEquals(TargetState.RESTORING, TargetMachine.next(TargetState.RECEIVING, TargetMachine.Event.RESTORE));
        assertEquals(TargetState.RESTORED, TargetMachine.next(TargetState.RESTORING, TargetMachine.Event.RESTORED));
        assertEquals(TargetState.REGISTERED, TargetMachine.next(TargetState.RESTORED, TargetMachine.Event.COMMIT));
        assertEquals(TargetState.RUNNING, TargetMachine.next(TargetState.REGISTERED, TargetMachine.Event.RESUMED));
        for (TargetState s : EnumSet.range(TargetState.ACCEPTED, TargetState.REGISTERED)) {
            assertEquals(TargetState.DROPPED, TargetMachine.next(s, TargetMachine.Event.FAILED), s.toString());
            assertEquals(TargetState.DROPPED, TargetMachine.next(s, TargetMachine.Event.RECORD), s + ": out of order");
        }
        assertEquals(TargetState.DROPPED, TargetMachine.next(TargetState.ACCEPTED, TargetMachine.Event.RESTORE), "nothing to restore");
        for (TargetMachine.Event e : TargetMachine.Event.values()) {
            assertEquals(TargetState.RUNNING, TargetMachine.next(TargetState.RUNNING, e), "once it runs, it runs: " + e);
            assertEquals(TargetState.DROPPED, TargetMachine.next(TargetState.DROPPED, e));
        }
    }

    @Test
    void everyRoundFrameGivesTheSourceAFreshWait() {
        long[] now = {0};
        TargetMachine m = new TargetMachine(new StepDeadlines(0), () -> now[0]);
        assertEquals(30_000, m.deadline());
        now[0] = 10_000;
        m.on(TargetMachine.Event.ROUND);
        assertEquals(10_000 + 90_000, m.deadline());
        now[0] = 20_000;
        m.on(TargetMachine.Event.ROUND);
        assertEquals(20_000 + 90_000, m.deadline());
    }

    @Test
    void homesWordDecidesAndTheTargetsYesRetires() {
        for (Boolean has : new Boolean[] {null, true, false}) {
            for (boolean homeGone : new boolean[] {false, true}) {
                for (boolean targetGone : new boolean[] {false, true}) {
                    assertEquals(Decision.RETIRE, Settlement.decide(HomeWord.TARGET_HAS_IT, has, homeGone, targetGone));
                    assertEquals(Decision.RESUME, Settlement.decide(HomeWord.SOURCE_RESUMES, has, homeGone, targetGone));
                    if (Boolean.TRUE.equals(has)) assertEquals(Decision.RETIRE, Settlement.decide(HomeWord.NO_ANSWER, true, homeGone, targetGone));
                }
            }
        }
    }

    @Test
    void withoutHomesWordANoOrAGoneTargetResumesOnlyOnceHomeIsGone() {
        assertEquals(Decision.ASK_AGAIN, Settlement.decide(HomeWord.NO_ANSWER, false, false, false), "its copy may have ended there");
        assertEquals(Decision.ASK_AGAIN, Settlement.decide(HomeWord.NO_ANSWER, null, false, true), "it may only be partitioned away");
        assertEquals(Decision.ASK_AGAIN, Settlement.decide(HomeWord.NO_ANSWER, null, false, false));
        assertEquals(Decision.RESUME, Settlement.decide(HomeWord.NO_ANSWER, false, true, false));
        assertEquals(Decision.RESUME, Settlement.decide(HomeWord.NO_ANSWER, null, true, true));
        assertEquals(Decision.ASK_AGAIN, Settlement.decide(HomeWord.NO_ANSWER, null, true, false), "the target may still answer yes");
    }
}

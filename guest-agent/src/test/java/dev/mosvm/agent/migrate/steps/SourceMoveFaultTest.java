package dev.mosvm.agent.migrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.migrate.steps.FakeMove.Call;
import dev.mosvm.agent.migrate.steps.FakeMove.Fault;
import dev.mosvm.agent.migrate.steps.FakeMove.SourceCopy;
import dev.mosvm.agent.migrate.steps.FakeMove.TargetCopy;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every step of a move against every kind of fault, in fake worlds with a clock the test
 * moves: afterwards the job runs in exactly one place (or ended exactly once), no stopped copy
 * is left anywhere, and the move returned with where the job runs.
 */
class SourceMoveFaultTest {
    private static final List<Call> STEPS = List.of(Call.OFFER, Call.PRE_DUMP, Call.DUMP, Call.RESTORE, Call.COMMIT);

    @Test
    void withoutFaultsTheJobMovesAfterItsRounds() {
        FakeMove w = new FakeMove();
        SourceMove.Result r = w.run();
        assertEquals(new SourceMove.Result(SourceState.MOVED, null, 2), r);
        assertEquals(SourceCopy.RETIRED, w.source.job);
        assertEquals(TargetCopy.RUNNING, w.target.copy);
        assertEquals(TargetState.RUNNING, w.target.m.state());
        assertEquals(0, w.pauses);
    }

    @Test
    void aStopAndCopyMoveRunsNoRound() {
        FakeMove w = new FakeMove();
        w.roundsWanted = 0;
        assertEquals(new SourceMove.Result(SourceState.MOVED, null, 0), w.run());
    }

    static Stream<Arguments> everyStepAndFault() {
        List<Arguments> all = new ArrayList<>();
        for (Call c : STEPS) for (Fault f : Fault.values()) for (boolean homeGone : new boolean[] {false, true}) all.add(Arguments.of(c, f, homeGone));
        return all.stream();
    }

    @ParameterizedTest(name = "{1} at {0}, home gone: {2}")
    @MethodSource("everyStepAndFault")
    void aFaultAtAnyStepLeavesTheJobInExactlyOnePlace(Call step, Fault fault, boolean homeGone) {
        FakeMove w = new FakeMove().fault(step, fault);
        w.homeGone = homeGone;
        if (homeGone && step == Call.COMMIT && fault == Fault.JOB_ENDED) return; // the one case nobody can settle: below
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
        assertEquals(expectedEnd(step, fault), r.end(), "end");
        if (fault == Fault.LATE && step != Call.COMMIT) assertTrue(r.reason().contains("did not end in time"), r.reason());
    }

    /** Before the commit the job stays (or ended); after it, it moved only where the target acted on the commit. */
    private static SourceState expectedEnd(Call step, Fault fault) {
        if (step == Call.COMMIT) return fault == Fault.ANSWER_LOST || fault == Fault.JOB_ENDED ? SourceState.MOVED : SourceState.STAYED;
        return fault == Fault.JOB_ENDED ? SourceState.ENDED : SourceState.STAYED;
    }

    @Test
    void aFailedStepNamesItsReasonInOneLine() {
        SourceMove.Result r = new FakeMove().fault(Call.RESTORE, Fault.ERROR).run();
        assertEquals(SourceState.STAYED, r.end());
        assertEquals("RESTORE failed on the target", r.reason());
        SourceMove.Result late = new FakeMove().fault(Call.DUMP, Fault.LATE).run();
        assertEquals("the final dump did not end in time (Read timed out)", late.reason());
    }

    @Test
    void aRestoredCopyWhoseCommitNeverCameIsDroppedAtTheTargetsDeadline() {
        FakeMove w = new FakeMove().fault(Call.RESTORE, Fault.ANSWER_LOST);
        SourceMove.Result r = SourceMove.run(w.source, new SourceMachine(w.deadlines, w::now));
        assertEquals(SourceState.STAYED, r.end());
        w.target.tick();
        assertEquals(TargetCopy.STOPPED, w.target.copy, "before its deadline the target waits for the commit");
        w.now[0] = w.target.m.deadline();
        w.target.tick();
        assertEquals(TargetCopy.DROPPED, w.target.copy);
        assertEquals(TargetState.DROPPED, w.target.m.state());
    }

    static Stream<Arguments> everySettlingFault() {
        List<Arguments> all = new ArrayList<>();
        for (Call asked : List.of(Call.ASK_HOME, Call.TARGET_HAS)) {
            for (Fault f : List.of(Fault.ERROR, Fault.LATE, Fault.ANSWER_LOST, Fault.PEER_GONE)) {
                for (Fault commit : List.of(Fault.ANSWER_LOST, Fault.LATE)) {
                    if (f == Fault.PEER_GONE && asked == Call.TARGET_HAS && commit == Fault.ANSWER_LOST) continue; // the target dies with the job
                    all.add(Arguments.of(asked, f, commit));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{1} asking {0} after the commit's {2}")
    @MethodSource("everySettlingFault")
    void settlingOutlastsFaultsOfItsOwnQuestions(Call asked, Fault fault, Fault commit) {
        FakeMove w = new FakeMove().fault(Call.COMMIT, commit).fault(asked, fault).fault(asked, fault);
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
        assertEquals(commit == Fault.ANSWER_LOST ? SourceState.MOVED : SourceState.STAYED, r.end());
    }

    @Test
    void aHomeThatHangsLeavesTheTargetItsOwnHalfOfTheQuestion() {
        FakeMove w = new FakeMove().fault(Call.COMMIT, Fault.ANSWER_LOST).fault(Call.ASK_HOME, Fault.LATE);
        long[] targetAsked = {-1};
        w.source.targetAsked = deadline -> targetAsked[0] = deadline - w.now();
        SourceMove.Result r = w.run();
        assertEquals(SourceState.MOVED, r.end());
        assertEquals(StepDeadlines.ANSWER_MILLIS, targetAsked[0], "the target still had 30 s after home's 30 s passed");
    }

    @Test
    void withoutHomesWordTheTargetsYesRetiresTheCopyHere() {
        FakeMove w = new FakeMove().fault(Call.COMMIT, Fault.ANSWER_LOST);
        w.arbiterWired = false;
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
        assertEquals(SourceState.MOVED, r.end());
    }

    @Test
    void withoutHomesWordATargetsNoKeepsTheJobFrozenUntilHomeIsGone() {
        FakeMove w = new FakeMove().fault(Call.COMMIT, Fault.LATE);
        w.arbiterWired = false;
        w.source.pauseHook = () -> {
            if (w.pauses == 5) w.homeGone = true; // the pool declares home dead
        };
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
        assertEquals(SourceState.STAYED, r.end());
        assertEquals(5, w.pauses, "asked again, frozen, until home was gone");
        assertEquals(1000 + 2000 + 4000 + 8000 + 15000, w.pausedMillis, "backing off to at most 15 s");
    }

    @Test
    void aCopyThatEndedOnTheTargetIsNotResumedHereWhileHomeCanSayIt() {
        FakeMove w = new FakeMove().fault(Call.COMMIT, Fault.JOB_ENDED);
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
        assertEquals(SourceState.MOVED, r.end());
        assertEquals(TargetCopy.ENDED, w.target.copy);
    }

    @Test
    void withHomeGoneTheTargetsNoDecidesAsBeforeEvenForACopyThatEnded() {
        // nobody is left who saw that copy end: the one case where the job can run twice
        FakeMove w = new FakeMove().fault(Call.COMMIT, Fault.JOB_ENDED);
        w.homeGone = true;
        SourceMove.Result r = w.run();
        assertEquals(SourceState.STAYED, r.end());
        assertEquals(SourceCopy.RUNNING, w.source.job);
    }

    @Property(tries = 400)
    void anyScheduleOfFaultsLeavesTheJobInExactlyOnePlace(@ForAll("schedules") List<Integer> schedule, @ForAll boolean homeGone,
                                                           @ForAll boolean arbiterWired) {
        FakeMove w = new FakeMove();
        w.roundsWanted = schedule.get(0) % 4;
        Call[] calls = Call.values();
        Fault[] faults = Fault.values();
        List<Call> at = new ArrayList<>();
        List<Fault> what = new ArrayList<>();
        for (int i = 1; i + 1 < schedule.size(); i += 2) {
            at.add(calls[schedule.get(i) % calls.length]);
            what.add(faults[schedule.get(i + 1) % faults.length]);
        }
        // the one case nobody can settle (a copy that ended on the target, with home gone) is shown above
        boolean commitEnds = java.util.stream.IntStream.range(0, at.size()).anyMatch(i -> at.get(i) == Call.COMMIT && what.get(i) == Fault.JOB_ENDED);
        for (int i = 0; i < at.size(); i++) {
            if (at.get(i) == Call.TARGET_HAS && what.get(i) == Fault.PEER_GONE) continue; // the target dying with the job is recovery's business
            if (commitEnds && at.get(i) == Call.ASK_HOME && what.get(i) == Fault.PEER_GONE) continue;
            w.fault(at.get(i), what.get(i));
        }
        w.homeGone = homeGone && !commitEnds;
        // an arbiter that never answers keeps the job frozen until home is gone: the pool declares it so after a while
        w.arbiterWired = arbiterWired || commitEnds;
        if (!w.arbiterWired) w.source.pauseHook = () -> w.homeGone = w.homeGone || w.pauses > 20;
        SourceMove.Result r = w.run();
        assertNull(w.violation(r));
    }

    @Provide
    Arbitrary<List<Integer>> schedules() {
        return Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(12);
    }
}

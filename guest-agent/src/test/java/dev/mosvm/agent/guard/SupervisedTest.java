package dev.mosvm.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Supervised tasks: whatever a run throws, OutOfMemoryError included, the task runs again after a pause that grows, and says so. */
class SupervisedTest {
    final List<String> log = new ArrayList<>();
    final Logger logger = Logger.getLogger(Supervised.class.getName());
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (log) {
                log.add(r.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void listen() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(capture);
    }

    /** A step that fails with each of {@code failures} in turn, then succeeds; records the turns it ran in. */
    static final class Scripted implements Supervised.Step {
        final List<Throwable> failures;
        final List<Integer> ranAt = new ArrayList<>();
        int turn;

        Scripted(Throwable... failures) {
            this.failures = new ArrayList<>(List.of(failures));
        }

        @Override
        public boolean run() throws Exception {
            ranAt.add(turn);
            if (failures.isEmpty()) return true;
            Throwable t = failures.remove(0);
            if (t instanceof Exception e) throw e;
            throw (Error) t;
        }
    }

    @Test
    void aPeriodicTaskThatThrowsRunsAgainAfterAPauseThatDoublesThenGoesOnAsBefore() {
        Scripted step = new Scripted(new IllegalStateException("boom"), new OutOfMemoryError("Java heap space"), new StackOverflowError());
        Supervised s = new Supervised("gossip-tick", 1000, step, millis -> { });
        for (step.turn = 1; step.turn <= 10; step.turn++) s.turn();
        // fails at 1 (next turn), at 2 (pauses one turn), at 4 (pauses three), then runs every turn
        assertEquals(List.of(1, 2, 4, 8, 9, 10), step.ranAt);
        assertEquals(3, s.restarts());
        assertEquals(List.of(
                "gossip-tick failed: java.lang.IllegalStateException: boom; restarting in 1 s (restart 1)",
                "gossip-tick failed: java.lang.OutOfMemoryError: Java heap space; restarting in 2 s (restart 2)",
                "gossip-tick failed: java.lang.StackOverflowError; restarting in 4 s (restart 3)"), log);
    }

    @Test
    void aSuccessEndsTheStreakSoTheNextFailurePausesOnlyOnePeriod() {
        Scripted step = new Scripted(new RuntimeException("a"), new RuntimeException("b"));
        Supervised s = new Supervised("balance", 5000, step, millis -> { });
        for (step.turn = 1; step.turn <= 4; step.turn++) s.turn();
        assertEquals(List.of(1, 2, 4), step.ranAt, "1 fails, 2 fails, 3 paused, 4 runs");
        step.failures.add(new RuntimeException("c"));
        for (; step.turn <= 6; step.turn++) s.turn();
        assertEquals(List.of(1, 2, 4, 5, 6), step.ranAt, "4 succeeded: 5 fails and 6 runs at once");
        assertTrue(log.get(2).endsWith("restarting in 5 s (restart 3)"), log.toString());
    }

    @Test
    void thePauseDoublesUpToItsBoundAndNeverGoesBelowThePeriod() {
        assertEquals(1000, Supervised.pauseMillis(1000, 1));
        assertEquals(8000, Supervised.pauseMillis(1000, 4));
        assertEquals(ServingLimits.RESTART_BACKOFF_MAX_MILLIS, Supervised.pauseMillis(1000, 10));
        assertEquals(ServingLimits.RESTART_BACKOFF_MAX_MILLIS, Supervised.pauseMillis(100, 1_000_000), "no overflow however long the streak");
        assertEquals(40_000, Supervised.pauseMillis(40_000, 3), "a task slower than the bound still runs once a period");
        assertEquals("0.1", Supervised.seconds(100));
        assertEquals("30", Supervised.seconds(30_000));
    }

    @Test
    void aStepThatSaysItIsDoneRunsNoMore() {
        AtomicInteger runs = new AtomicInteger();
        Supervised s = new Supervised("speed-remeasure", 20_000, () -> runs.incrementAndGet() < 2, millis -> { });
        for (int i = 0; i < 5; i++) s.turn();
        assertEquals(2, runs.get());
        assertTrue(s.stopped());
    }

    @Test
    void aLoopPausesLongerAfterEachFailureInARowAndEndsWhenItsStepSaysSo() {
        List<Long> pauses = new ArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        Supervised s = new Supervised("peer-accept", 0, () -> {
            int n = runs.incrementAndGet();
            if (n <= 3) throw new OutOfMemoryError("unable to create native thread");
            if (n == 4) return true; // an accept that worked ends the streak
            if (n == 5) throw new java.io.IOException("Too many open files");
            return false; // the server closed
        }, pauses::add);
        s.runLoop();
        assertEquals(List.of(100L, 200L, 400L, 100L), pauses, "doubling from the loop's first pause; reset by a success");
        assertEquals(4, s.restarts());
        assertTrue(log.get(3).startsWith("peer-accept failed: java.io.IOException: Too many open files; restarting in 0.1 s"), log.toString());
    }

    @Test
    void onItsOwnThreadAPeriodicTaskOutlivesErrorsThatWouldStopAnExecutorsTask() throws Exception {
        CountDownLatch ranWell = new CountDownLatch(3);
        AtomicInteger runs = new AtomicInteger();
        try (Supervised s = Supervised.periodic("test-task", 0, 5, () -> {
            if (runs.incrementAndGet() <= 2) throw new OutOfMemoryError("Java heap space");
            ranWell.countDown();
        })) {
            assertTrue(ranWell.await(10, TimeUnit.SECONDS), "ran on after two OutOfMemoryErrors: " + runs.get() + " runs, " + log);
            assertEquals(2, s.restarts());
        }
    }

    @Test
    void onItsOwnThreadALoopOutlivesAnError() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        Supervised s = Supervised.loop("test-loop", () -> {
            if (runs.incrementAndGet() == 1) throw new StackOverflowError();
            done.countDown();
            return false;
        });
        assertTrue(done.await(10, TimeUnit.SECONDS), "ran again after the error");
        assertEquals(1, s.restarts());
    }
}

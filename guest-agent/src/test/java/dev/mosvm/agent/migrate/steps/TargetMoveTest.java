package dev.mosvm.agent.migrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.migrate.steps.TargetMachine.Event;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The target's driver against a fake world: a source that sends the protocol's frames, or
 * fails, falls silent past the step's deadline (the clock jumps, nothing sleeps) or sends a
 * frame out of order at any point; a restore or resume that fails. Afterwards the copy here
 * runs and is in the table, or is gone; the copy is in the table before it runs.
 */
class TargetMoveTest {
    private static final List<Event> PROTOCOL = List.of(Event.ROUND, Event.ROUND, Event.ROUND, Event.ROUND, Event.RESTORE, Event.COMMIT,
            Event.RECORD);

    enum Fault { CLOSED, SILENT, OUT_OF_ORDER, STEP_FAILS }

    static final class World implements TargetPorts {
        final long[] now = {0};
        final ArrayDeque<Event> frames = new ArrayDeque<>(PROTOCOL);
        final List<String> calls = new ArrayList<>();
        int failAt = -1;
        Fault fault;
        int frameNo;
        boolean copy;
        boolean inTable;
        boolean runs;
        String dropped;

        @Override
        public Event next(long deadline) throws IOException {
            if (frameNo == failAt) {
                switch (fault) {
                    case CLOSED -> throw new IOException("the source closed the connection");
                    case SILENT -> {
                        now[0] = deadline;
                        throw new SocketTimeoutException("Read timed out");
                    }
                    case OUT_OF_ORDER -> {
                        frameNo++;
                        return frames.peek() == Event.COMMIT ? Event.ROUND : Event.COMMIT;
                    }
                    default -> { }
                }
            }
            frameNo++;
            Event e = frames.poll();
            if (e == null) throw new IOException("the source closed the connection");
            return e;
        }

        private void step(String name) throws IOException {
            calls.add(name);
            if (fault == Fault.STEP_FAILS && frameNo - 1 == failAt) throw new IOException(name + " failed");
        }

        @Override
        public void round(long deadline) throws IOException {
            step("round");
        }

        @Override
        public void restore(long deadline) throws IOException {
            step("restore");
            copy = true;
        }

        @Override
        public void restored() {
            calls.add("restored");
        }

        @Override
        public void register() {
            calls.add("register");
            if (!copy) throw new IllegalStateException("commit before restore");
            inTable = true;
        }

        @Override
        public void resume() throws IOException {
            if (!inTable) throw new AssertionError("resumed a copy the table does not have");
            step("resume");
            runs = true;
        }

        @Override
        public void running() {
            calls.add("running");
        }

        @Override
        public void record() {
            calls.add("record");
        }

        @Override
        public void drop(String why) {
            dropped = why;
            if (runs) throw new AssertionError("dropped a running copy");
            inTable = false;
            copy = false;
        }

        @Override
        public void afterRunning(String why) {
            calls.add("after running: " + why);
        }

        TargetState run() {
            return TargetMove.run(this, new TargetMachine(new StepDeadlines(64L << 20), () -> now[0]));
        }
    }

    @Test
    void theProtocolRunsTheCopyAfterRegisteringIt() {
        World w = new World();
        assertEquals(TargetState.RUNNING, w.run());
        assertEquals(List.of("round", "round", "round", "round", "restore", "restored", "register", "resume", "running", "record"), w.calls);
        assertTrue(w.runs && w.inTable);
    }

    static Stream<Arguments> everyFrameAndFault() {
        List<Arguments> all = new ArrayList<>();
        for (int i = 0; i < PROTOCOL.size(); i++) for (Fault f : Fault.values()) all.add(Arguments.of(i, f));
        return all.stream();
    }

    @ParameterizedTest(name = "{1} at frame {0}")
    @MethodSource("everyFrameAndFault")
    void aFaultBeforeTheCopyRunsDropsItAndAfterChangesNothing(int at, Fault fault) {
        World w = new World();
        w.failAt = at;
        w.fault = fault;
        TargetState end = w.run();
        assertTrue(w.calls.stream().filter("register"::equals).count() <= 1, "registered once: " + w.calls);
        if (at > PROTOCOL.indexOf(Event.COMMIT)) {
            assertEquals(TargetState.RUNNING, end);
            assertTrue(w.runs && w.inTable, "it runs here, in the table");
        } else {
            assertEquals(TargetState.DROPPED, end);
            assertFalse(w.copy || w.inTable || w.runs, "no copy left: " + w.calls);
            assertTrue(w.dropped != null && !w.dropped.contains("\n"));
            if (fault == Fault.SILENT) assertTrue(w.dropped.contains("did not end by its deadline"), w.dropped);
        }
    }

    @Test
    void aRestoredCopyWhoseCommitNeverComesIsDroppedAtThirtySeconds() {
        World w = new World();
        w.failAt = PROTOCOL.indexOf(Event.COMMIT);
        w.fault = Fault.SILENT;
        assertEquals(TargetState.DROPPED, w.run());
        assertEquals(StepDeadlines.ANSWER_MILLIS, w.now[0], "the clock reached the commit's deadline, from a restore at 0");
        assertFalse(w.copy);
    }
}

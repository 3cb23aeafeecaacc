package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Input that reaches a job while it is being moved: held, and delivered once, in order, wherever it ends up. */
class JobHeldInputTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CountDownLatch ended = new CountDownLatch(1);
    private Process cat;

    private Job catJob() throws Exception {
        cat = new ProcessBuilder("cat").start();
        JobSink sink = new JobSink() {
            @Override
            public synchronized void output(MessageType kind, byte[] b, int n) {
                out.write(b, 0, n);
            }

            @Override
            public void exited(int status) {}

            @Override
            public void moved() {}
        };
        Job j = new Job(JobSpec.fresh("n.1", "n", 0, 0, List.of("cat"), "2026-11-25T00:00:00Z", false, false, "home", ""), cat, null, sink);
        j.startPumps();
        return j;
    }

    @AfterEach
    void stop() {
        if (cat != null) cat.destroyForcibly();
    }

    private static Frame in(String s) {
        return new Frame(MessageType.STDIN, s.getBytes(StandardCharsets.UTF_8));
    }

    private String outputAfterEof(Job j) throws Exception {
        assertTrue(cat.waitFor(10, TimeUnit.SECONDS), "cat saw the end of its input");
        j.drainOutput();
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void inputDuringAFailedMoveReachesTheJobHereAfterWhatCameBefore() throws Exception {
        Job j = catJob();
        j.control(in("a\n"));
        assertTrue(j.beginMigration());
        j.control(in("b\n"));
        j.control(new Frame(MessageType.STDIN_EOF, new byte[0]));
        j.reclaimUnreadInput("(unread)\n".getBytes(StandardCharsets.UTF_8));
        j.migrationAborted();
        assertEquals("a\n(unread)\nb\n", outputAfterEof(j));
        // the end of input is the last thing delivered; the job is RUNNING again just after it
        for (int i = 0; i < 100 && j.state() != Job.State.RUNNING; i++) Thread.sleep(50);
        assertEquals(Job.State.RUNNING, j.state());
    }

    @Test
    void aMoveThatCommitsHandsOverWhatWasHeldAndKeepsNothingHere() throws Exception {
        Job j = catJob();
        assertTrue(j.beginMigration());
        j.control(in("typed while frozen\n"));
        j.reclaimUnreadInput("waiting in the pipe\n".getBytes(StandardCharsets.UTF_8));
        Job.Held held = j.migrated();
        assertArrayEquals("waiting in the pipe\ntyped while frozen\n".getBytes(StandardCharsets.UTF_8), held.input());
        assertEquals(Job.State.MOVED, j.state());

        // the copy on the target: what the source held first, then what reached the target meanwhile
        Job there = catJob();
        assertTrue(there.beginMigration());
        there.control(in("sent to the target\n"));
        there.finishMove(new Job.Held(List.of(), held.input(), true));
        assertEquals("waiting in the pipe\ntyped while frozen\nsent to the target\n", outputAfterEof(there));
    }

    @Test
    void aCopyThatHasMovedOnRefusesFramesForTheJobsNextNode() throws Exception {
        Job j = catJob();
        assertTrue(j.beginMigration());
        assertTrue(j.control(in("held\n")), "held while it moves");
        j.migrated();
        assertFalse(j.control(in("late\n")), "not written into the stopped copy: home sends it on");
    }

    @Test
    void theHeldFormTravelsAsJson() throws Exception {
        Job.Held h = new Job.Held(List.of(2, 15), "x\n".getBytes(StandardCharsets.UTF_8), true);
        Job.Held back = dev.mosvm.api.Json.MAPPER.readValue(dev.mosvm.api.Json.MAPPER.writeValueAsBytes(h), Job.Held.class);
        assertEquals(h.signals(), back.signals());
        assertArrayEquals(h.input(), back.input());
        assertEquals(h.eof(), back.eof());
    }
}

package dev.mosvm.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import dev.mosvm.api.MigrationRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The job views mosps and migrate print in an appliance, and `mosvm ps` and `mosvm migrate` on the host, to the column. */
class JobsTableTest {
    static final MigrationRecord BALANCED = new MigrationRecord("ca", "cb", "2026-12-04T12:00:00Z", 3, 412, 2870, 52_428_800,
            "balanced", "1.00 there vs 0.21 here", 8.2, "sealed");
    static final List<JobView> JOBS = List.of(
            new JobView("ca.1700000001", 1000, "alice", "ca", "cb", "RUNNING", List.of("perl", "hog.pl", "200"), "2026-12-04T11:59:00Z",
                    12.345, 204_800, 1, false, List.of(BALANCED), "balanced", "1.00 there vs 0.21 here", 10.4, false,
                    new CheckpointRecord("ca.1700000001", 4, "/pool/ca/.mosvm-checkpoints/ca.1700000001/4", "2026-12-04T12:01:00Z", "cb", 3 << 20, 3, 40 << 20, 420, 1), 1),
            new JobView("ca.1700000002", 1001, "1001", "ca", "ca", "EXITED", List.of("sh", "-c", "'exit 3'"), "2026-12-04T11:59:30Z",
                    -1, -1, 0, true, List.of(), "home", null, 0, true, null, 0));

    static String printed(Consumer<PrintWriter> print) {
        StringWriter s = new StringWriter();
        PrintWriter out = new PrintWriter(s);
        print.accept(out);
        out.flush();
        return s.toString();
    }

    @Test
    void aLinePerJobUnderTheHeader() {
        assertEquals("""
                JOB            USER       HOME       WHERE      STATE         CPU      RSS  MIG WHY       COMMAND
                ca.1700000001  alice      ca         cb         RUNNING     12.3s    200M    1 balanced  perl hog.pl 200
                ca.1700000002  1001       ca         ca         EXITED       0.0s       -    0 home      sh -c 'exit 3'
                """, printed(out -> JobsTable.print(out, JOBS, false)));
    }

    @Test
    void whyFollowsTheTableWhenAskedFor() {
        List<String> lines = printed(out -> JobsTable.print(out, JOBS, true)).lines().toList();
        assertEquals(List.of("ca.1700000001: balanced (1.00 there vs 0.21 here)", "ca.1700000002: home"), lines.subList(3, 5));
    }

    @Test
    void withWhyEachJobsLatestCheckpointFollowsItsAgeSizeAndInterval() {
        Instant now = Instant.parse("2026-12-04T12:03:30Z");
        List<String> lines = printed(out -> JobsTable.print(out, JOBS, true, now)).lines().toList();
        assertEquals(List.of("ca.1700000001: checkpoint 4, 2 min ago, 40.0 MiB, every 1 min", "ca.1700000002: checkpoint -"),
                lines.subList(5, 7));
        assertEquals(7, lines.size());
        assertEquals(3, printed(out -> JobsTable.print(out, JOBS, false, now)).lines().count(), "without -v: the table alone");
    }

    @Test
    void aJobCheckpointedPeriodicallyButNotYetSaysSoAndAgesReadInTheirUnit() {
        JobView waiting = new JobView("ca.3", 0, "root", "ca", "ca", "RUNNING", List.of("x"), "2026-12-04T12:00:00Z", 0, 0, 0, false,
                List.of(), "home", null, 0, false, null, 5);
        assertEquals("checkpoint -, every 5 min", CheckpointSummary.latest(waiting, Instant.EPOCH));
        Instant at = Instant.parse("2026-12-04T12:00:00Z");
        assertEquals("0 s ago", CheckpointSummary.ago("2026-12-04T12:00:01Z", at), "a clock behind the taker's: no negative age");
        assertEquals("119 s ago", CheckpointSummary.ago("2026-12-04T11:58:01Z", at));
        assertEquals("2 min ago", CheckpointSummary.ago("2026-12-04T11:58:00Z", at));
        assertEquals("2 h ago", CheckpointSummary.ago("2026-12-04T10:00:00Z", at));
        assertEquals("3 d ago", CheckpointSummary.ago("2026-12-01T12:00:00Z", at));
        assertEquals("taken at yesterday", CheckpointSummary.ago("yesterday", at));
    }

    @Test
    void aCheckpointInOneLineFullOrIncremental() {
        assertEquals("checkpoint 3 of ca.17: 12.1 MiB of pages (incremental on 2; 48.0 MiB with its chain), job frozen 0.42 s, "
                + "stored at /pool/ca/.mosvm-checkpoints/ca.17/3\n", printed(out -> CheckpointSummary.print(out,
                new CheckpointRecord("ca.17", 3, "/pool/ca/.mosvm-checkpoints/ca.17/3", "2026-12-04T12:01:00Z", "cb",
                        12_687_770, 2, 48L << 20, 420, 0))));
        assertEquals("checkpoint 1 of ca.17: 48.0 MiB of pages (full), job frozen 1.05 s, stored at /pool/ca/.mosvm-checkpoints/ca.17/1\n",
                printed(out -> CheckpointSummary.print(out, new CheckpointRecord("ca.17", 1, "/pool/ca/.mosvm-checkpoints/ca.17/1",
                        "2026-12-04T12:00:00Z", "ca", 48L << 20, 0, 48L << 20, 1050, 5))));
    }

    @Test
    void aMoveInOneLine() {
        assertEquals("ca.1700000001 moved ca -> cb: frozen 412 ms, total 2870 ms, 50.0 MiB in 3 pre-copy rounds\n",
                printed(out -> MigrationSummary.print(out, "ca.1700000001", BALANCED)));
    }
}

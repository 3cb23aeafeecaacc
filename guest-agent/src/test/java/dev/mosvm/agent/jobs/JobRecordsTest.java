package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.api.MigrationRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRecordsTest {
    @TempDir
    Path root;

    @Test
    void aRecordReadsBackAsItWasWritten() throws Exception {
        JobSpec spec = JobSpec.fresh("b.7", "b", 1000, 100, List.of("sim", "--steps", "9"), "2026-12-05T10:00:00Z", false, true, "placed", "idlest")
                .checkpointed(5, 2).withEpoch(3);
        JobRecord r = new JobRecord(spec, 4242, 987654, "/sys/fs/cgroup/mosvm/job-b.7", true, 100, 20, true, "/run/mosvm/images/in-b.7/3", "c");
        JobRecords records = new JobRecords(root);
        records.write(r);
        assertEquals(r, JobRecords.read(root.resolve("b.7")));
        assertEquals(List.of(root.resolve("b.7")), records.dirs());
        assertFalse(Files.exists(root.resolve("b.7").resolve(JobRecords.RECORD + ".tmp")), "written whole, then renamed");
        records.remove("b.7");
        assertEquals(List.of(), records.dirs());
    }

    @Test
    void aRecordOfTheAgentBeforeStoppedForReadsAsNotStoppedForAMove() throws Exception {
        JobSpec spec = JobSpec.fresh("b.8", "b", 1000, 100, List.of("sleep", "9"), "2026-12-05T10:00:00Z", false, true, "placed", "idlest");
        new JobRecords(root).write(new JobRecord(spec, 4242, 987654, null, false, 0, 0, false, null, "c"));
        Path file = root.resolve("b.8").resolve(JobRecords.RECORD);
        Files.writeString(file, Files.readString(file).replace(",\"stoppedFor\":\"c\"", ""));
        assertFalse(Files.readString(file).contains("stoppedFor"));
        assertEquals(null, JobRecords.read(root.resolve("b.8")).stoppedFor());
    }

    @Test
    void outputCountsOutliveTheirMapping() throws Exception {
        JobRecords records = new JobRecords(root);
        OutputCounts c = records.freshCounts("b.8");
        c.add(OutputCounts.STDOUT, 70_000);
        c.add(OutputCounts.STDERR, 12);
        OutputCounts again = JobRecords.countsIn(root.resolve("b.8"));
        assertEquals(70_000, again.get(OutputCounts.STDOUT));
        assertEquals(12, again.get(OutputCounts.STDERR));
        assertEquals(0, records.freshCounts("b.8").get(OutputCounts.STDOUT), "a new copy of the job counts from zero");
    }

    @Test
    void aProcessIsToldApartByItsStartTime() {
        long self = ProcessHandle.current().pid();
        assertTrue(JobRecords.startTime(self) > 0);
        assertEquals(JobRecords.startTime(self), JobRecords.startTime(self));
        assertEquals(-1, JobRecords.startTime(Integer.MAX_VALUE), "no such process");
    }
}

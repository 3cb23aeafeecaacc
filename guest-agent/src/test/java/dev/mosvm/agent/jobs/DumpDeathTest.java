package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DumpDeathTest {
    @Test
    void aJobKilledInTheMiddleOfItsMovesDumpIsLostThere() {
        assertEquals("job a.1 lost: it died on b (SIGTRAP) while being dumped for its move to c, criu having failed inside it; it had no checkpoint",
                DumpDeath.reason("a.1", "b", 133, "c", false));
        assertEquals("job a.1 lost: it died on a (SIGKILL) while being dumped for a checkpoint, criu having failed inside it; it had no checkpoint",
                DumpDeath.reason("a.1", "a", 137, Job.CHECKPOINT, true));
    }

    @Test
    void withNoDumpUnderWayEveryEndIsTheJobsOwn() {
        assertNull(DumpDeath.reason("a.1", "b", 133, null, false), "a program that hits a breakpoint of its own");
        assertNull(DumpDeath.reason("a.1", "b", 137, null, false), "killed by its user or the OOM killer");
        assertNull(DumpDeath.reason("a.1", "b", 137, "c", false), "the OOM killer in the middle of a large job's move, criu fine");
    }

    @Property
    void duringADumpOnlySigtrapAndSigkillAreTakenForTheDumps(@ForAll @IntRange(min = 0, max = 255) int status, @ForAll boolean criuFailed) {
        String r = DumpDeath.reason("a.1", "b", status, "c", criuFailed);
        assertEquals(status == 133 || status == 137 && criuFailed, r != null, "status " + status);
        if (r != null) assertTrue(r.endsWith("; it had no checkpoint"), "home's recovery names what went wrong in its place: " + r);
    }
}

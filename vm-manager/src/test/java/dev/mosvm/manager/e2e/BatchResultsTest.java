package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-call reading of a batch's results: exact outputs, statuses and errors, as ssh hands them back (last newline stripped). */
class BatchResultsTest {
    @Test
    void exactOutputsStatusesAndErrorsOfEveryJob() {
        String printed = "@@job 0\n847292\n\n@@err\n\n@@job 1\nno newline\n@@err\nboom\n\n@@job 0\n\n@@err\n";
        List<PoolTestBase.JobResult> r = PoolTestBase.parseBatchResults(printed.strip(), 3, "t");
        assertEquals(new PoolTestBase.JobResult("0", "847292\n", ""), r.get(0));
        assertEquals(new PoolTestBase.JobResult("1", "no newline", "boom"), r.get(1));
        assertEquals(new PoolTestBase.JobResult("0", "", ""), r.get(2));
    }

    @Test
    void aMissingJobOrAGarbledAnswerFails() {
        assertThrows(AssertionError.class, () -> PoolTestBase.parseBatchResults("@@job 0\n1\n\n@@err\n", 2, "t"));
        assertThrows(AssertionError.class, () -> PoolTestBase.parseBatchResults("@@job 0\n1\n", 1, "t"));
    }
}

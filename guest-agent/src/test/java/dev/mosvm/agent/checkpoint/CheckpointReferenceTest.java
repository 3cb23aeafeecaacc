package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.agent.wire.JobSpec;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which home's store a `mosrun -R` names, and the epochs a restored copy takes. */
class CheckpointReferenceTest {
    @Test
    void aReferenceNamesItsHomeByTheJobIdOrThePath() throws IOException {
        assertEquals("ca", Checkpointer.homeOfReference("ca.1700000001"));
        assertEquals("ca", Checkpointer.homeOfReference("ca.1700000001/3"));
        assertEquals("node.a", Checkpointer.homeOfReference("node.a.17/2"), "a home's name may hold dots: the id's last one ends it");
        assertEquals("cb", Checkpointer.homeOfReference("/pool/cb/.mosvm-checkpoints/cb.5/1"));
        assertEquals("is not a checkpoint: checkpoints are under /pool/NODE/.mosvm-checkpoints",
                assertThrows(IOException.class, () -> Checkpointer.homeOfReference("/tmp/x")).getMessage().substring(7));
        assertThrows(IOException.class, () -> Checkpointer.homeOfReference("/pool"));
        assertEquals("nodot names no checkpoint: give a job id (its latest), JOB/N, or a checkpoint's path",
                assertThrows(IOException.class, () -> Checkpointer.homeOfReference("nodot")).getMessage());
        assertThrows(IOException.class, () -> Checkpointer.homeOfReference(" "));
    }

    @Test
    void aRestoredCopysEpochIsAboveTheCheckpointsAndAboveEveryCopyHomeKnows() {
        JobSpec at2 = JobSpec.fresh("a.1", "a", 0, 0, List.of("x"), "now", false, false, "home", null).recovered(1, false, false, "home", "r");
        assertEquals(2, at2.epoch());
        assertEquals(3, at2.recovered(0, false, false, "home", "r").epoch(), "from a checkpoint of epoch 2");
        assertEquals(6, at2.recovered(5, false, false, "home", "r").epoch(), "home knows a copy of epoch 5: the checkpoint is older");
        assertEquals(2, at2.checkpointed(5, 4).epoch(), "settings keep the epoch");
    }
}

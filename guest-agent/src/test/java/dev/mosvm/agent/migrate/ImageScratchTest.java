package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageScratchTest {
    static final long MIB = 1 << 20;

    @Test
    void aRoundMayTakeHalfOfWhatIsLeftAboveTheReserveAndItsOwnImages() {
        // 500 MiB available, 128 kept: 372 left, half for the images, half to restore them into
        assertEquals(186 * MIB, ImageScratch.roomForNextRound(500 << 10, 0, 128 << 10));
        // 140 MiB staged already (and counted as used in MemAvailable): (360 - 128 - 140) / 2
        assertEquals(46 * MIB, ImageScratch.roomForNextRound(360 << 10, 140 * MIB, 128 << 10));
    }

    @Test
    void aNodeShortOfMemoryHasNoRoomAtAll() {
        assertEquals(0, ImageScratch.roomForNextRound(200 << 10, 100 * MIB, 128 << 10));
        assertEquals(0, ImageScratch.roomForNextRound(100 << 10, 0, 128 << 10));
    }

    @Test
    void aRestartedAgentClearsUnfinishedMovesButKeepsTheImagesAnAdoptedJobsMemoryStillArrivesFrom(@TempDir Path images) throws Exception {
        for (String d : List.of("in-a.1/2", "in-a.2/3", "out-a.3/1", "other")) Files.createDirectories(images.resolve(d));
        List<String> cleared = ImageScratch.clearUnfinished(images, Set.of(images.resolve("in-a.2").toAbsolutePath().normalize()));
        assertEquals(List.of("in-a.1", "out-a.3"), cleared);
        assertTrue(Files.isDirectory(images.resolve("in-a.2/3")), "its lazy restore's images stay");
        assertTrue(Files.isDirectory(images.resolve("other")), "only moves' directories are touched");
    }
}

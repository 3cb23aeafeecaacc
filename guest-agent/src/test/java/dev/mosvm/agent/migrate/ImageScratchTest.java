package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

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
}

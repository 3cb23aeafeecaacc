package dev.mosvm.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class OutputPositionTest {
    @Test
    void aPositionRoundTripsThroughItsFrame() throws MalformedFrameException {
        OutputPosition p = new OutputPosition(5L << 40, 0);
        assertEquals(p, OutputPosition.of(p.frame()));
    }

    @Test
    void offsetsPastTwoToTheSixtyThirdAreRefusedAsMalformed() {
        Frame f = new Frame(MessageType.POSITION, ByteBuffer.allocate(16).putLong(1).putLong(-1).array());
        assertEquals("an output position past 2^63 bytes", assertThrows(MalformedFrameException.class, () -> OutputPosition.of(f)).getMessage());
    }

    @Test
    void anotherFramesPayloadIsNotReadAsAPosition() {
        Frame f = Frame.u64(MessageType.ROUND_OK, 16);
        assertThrows(MalformedFrameException.class, () -> OutputPosition.of(f));
    }
}

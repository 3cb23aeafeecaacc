package dev.mosvm.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NodeSpeedTest {
    @Test
    void aLowBootReadingIsRaisedByAnIdleOneAndScaledByTheCap() {
        NodeSpeed s = new NodeSpeed(0.05, 0.4);
        assertEquals(0.02, s.get(), 1e-9);
        assertTrue(s.offer(0.21));
        assertEquals(0.084, s.get(), 1e-9);
    }

    @Test
    void aLowerReadingNeverLowersTheFigure() {
        NodeSpeed s = new NodeSpeed(0.2, 1.0);
        assertFalse(s.offer(0.1));
        assertEquals(0.2, s.get(), 1e-9);
    }

    @Test
    void readingsWithoutNewsSettleItAndNewsStartsTheCountAgain() {
        NodeSpeed s = new NodeSpeed(0.2, 1.0);
        s.offer(0.201);
        s.offer(0.19);
        assertFalse(s.settled());
        assertTrue(s.offer(0.3));
        for (int i = 0; i < NodeSpeed.SETTLED_AFTER - 1; i++) s.offer(0.3);
        assertFalse(s.settled());
        s.offer(0.29);
        assertTrue(s.settled());
    }
}

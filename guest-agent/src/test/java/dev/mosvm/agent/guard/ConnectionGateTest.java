package dev.mosvm.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The gate of a server's connections: bounded per key and overall, places given back, refusals counted and logged sparingly. */
class ConnectionGateTest {
    long now;
    final ConnectionGate gate = new ConnectionGate("a test connection", 4, 2, new LogThrottle(10_000, () -> now));

    @Test
    void oneKeyGetsItsShareAndOthersTheRest() {
        ConnectionGate.Permit a1 = gate.admit("10.0.0.1");
        ConnectionGate.Permit a2 = gate.admit("10.0.0.1");
        assertNull(gate.admit("10.0.0.1"), "a third from one address");
        assertNotNull(gate.admit("10.0.0.2"));
        assertNotNull(gate.admit("10.0.0.3"));
        assertNull(gate.admit("10.0.0.4"), "four open: the bound");
        assertEquals(2, gate.refused());
        a1.close();
        a1.close(); // twice frees one place, not two
        assertEquals(3, gate.open());
        assertNotNull(gate.admit("10.0.0.1"), "a place freed for that address");
        assertNull(gate.admit("10.0.0.5"));
        a2.close();
        assertNotNull(gate.admit("10.0.0.5"));
    }

    @Test
    void refusalsAreLoggedOncePerIntervalWithTheCountBetween() {
        List<String> lines = new ArrayList<>();
        Logger logger = Logger.getLogger(ConnectionGate.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(capture);
        try {
            gate.admit("127.0.0.1");
            gate.admit("127.0.0.1");
            for (int i = 0; i < 1000; i++) gate.admit("127.0.0.1");
            now += 10_000;
            gate.admit("127.0.0.1");
        } finally {
            logger.removeHandler(capture);
        }
        assertEquals(1001, gate.refused());
        assertEquals(List.of(
                "refused a test connection from 127.0.0.1: 2 open from there, the most one may hold",
                "refused a test connection from 127.0.0.1: 2 open from there, the most one may hold"
                        + " (and 999 more like it since the last report)"), lines);
    }

    @Test
    void aLogThrottleLetsTheFirstThroughThenOneAnInterval() {
        LogThrottle t = new LogThrottle(1000, () -> now);
        assertEquals(0, t.event());
        assertEquals(-1, t.event());
        now += 999;
        assertEquals(-1, t.event());
        now += 1;
        assertEquals(2, t.event());
        assertEquals("", LogThrottle.since(0));
    }

    @Test
    void aByteBudgetGivesWhatIsFreeAndTakesItBack() {
        ByteBudget b = new ByteBudget(10_000);
        assertEquals(true, b.take(6_000));
        assertEquals(false, b.take(6_000), "not that much left");
        assertEquals(4_000, b.available(), "a refused take takes nothing");
        b.give(6_000);
        assertEquals(true, b.take(10_000));
    }
}

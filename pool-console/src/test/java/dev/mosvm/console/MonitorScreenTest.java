package dev.mosvm.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.MoveEvent;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MonitorScreenTest {
    static PoolView view() {
        return new PoolView("lab", "a", List.of(
                new NodeView(new NodeInfo("a", "192.168.122.2", 7946, 1, 0.21, 0.0, 380_000, 0), 0, NodeState.ALIVE),
                new NodeView(new NodeInfo("b", "192.168.122.3", 7946, 2, 0.42, 4.0, 120_000, 3), 1500, NodeState.ALIVE),
                new NodeView(new NodeInfo("a-very-long-node-name", "192.168.122.4", 7946, 1, 0.2, 0.5, 1, 0), 31_000, NodeState.DEAD)),
                Map.of("unauthenticated", 2L));
    }

    @Test
    void latestMigrationsFollowTheNodesWithReasonAndFigures() {
        PoolView v = view().withMoves(List.of(
                new MoveEvent("c.17", "c", "a", "2026-11-24T12:00:01.5Z", "balanced", "1.00 there vs 0.20 on c", 1200, 4100, null),
                new MoveEvent("c.18", "c", "b", "2026-11-24T12:00:09Z", "ushered", "c had 90 MiB free", 0, 0, "b declines: 100 MiB free")));
        List<String> f = MonitorScreen.render(v, 100, "12:00:10");
        assertEquals(2 + 3 + 1 + 1 + 2, f.size(), String.join("\n", f));
        assertEquals("latest migrations", f.get(6));
        assertTrue(f.get(7).contains("12:00:01 c.17") && f.get(7).contains("c -> a") && f.get(7).contains("balanced")
                && f.get(7).contains("frozen 1.2 s of 4.1 s: 1.00 there"), f.get(7));
        assertTrue(f.get(8).contains("c -> b") && f.get(8).contains("stayed: b declines"), f.get(8));
        assertEquals(6, MonitorScreen.render(view(), 100, "x").size(), "no moves, no section");
    }

    @Test
    void fitsEightyColumnsWithOneBarPerNode() {
        List<String> f = MonitorScreen.render(view(), 80, "12:00:00");
        assertEquals(2 + 3 + 1, f.size(), "title, header, three nodes, footer");
        f.forEach(l -> assertTrue(l.length() <= 80, "fits: " + l));
        assertTrue(f.get(0).startsWith("mosvm mon  pool lab  seen from a") && f.get(0).endsWith("12:00:00  q quits"));
        String b = f.get(3);
        assertTrue(b.startsWith("b ") && b.contains("ALIVE") && b.contains("4.00") && b.contains("1.5s"), b);
        int fullB = b.chars().filter(ch -> ch == '#').toArray().length;
        String a = f.get(2);
        assertEquals(0, a.chars().filter(ch -> ch == '#').count(), "idle node: empty bar");
        assertTrue(fullB > 0, "busiest node (2 per CPU) fills its bar: " + b);
        assertTrue(f.get(4).contains("DEAD") && f.get(4).contains("[---"), "gone nodes are struck out: " + f.get(4));
        assertTrue(f.get(4).startsWith("a-very-long~"), "long names clipped");
        assertTrue(f.get(5).contains("refused packets 2"));
    }

    @Test
    void widerTerminalsGetLongerBars() {
        int narrow = MonitorScreen.render(view(), 80, "t").get(3).length();
        int wide = MonitorScreen.render(view(), 160, "t").get(3).length();
        assertTrue(wide > narrow + 60, narrow + " vs " + wide);
    }
}

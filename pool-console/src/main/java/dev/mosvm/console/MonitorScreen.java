package dev.mosvm.console;

import dev.mosvm.api.MoveEvent;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One frame of `mosvm mon`, as MOSIX's mon drew it: a bar per node for its load, with speed,
 * free memory and the age of the information; below, the pool's latest migrations (UTC times). Pure text, fitted to the terminal's width
 * (80 columns and up), so it works over ssh and is tested without a terminal.
 */
public final class MonitorScreen {
    static final int MIN_WIDTH = 60;

    private MonitorScreen() {}

    public static List<String> render(PoolView v, int width, String clock) {
        int w = Math.max(MIN_WIDTH, width);
        List<String> out = new ArrayList<>();
        String title = "mosvm mon  " + (v.pool() == null ? "(no pool)" : "pool " + v.pool()) + "  seen from " + v.self();
        String right = clock + "  q quits";
        out.add(fit(title + " ".repeat(Math.max(1, w - title.length() - right.length())) + right, w));
        // fixed columns: name 12, state 7, load 5, speed 6, free 7, age 7, separators
        int barWidth = Math.max(10, w - (12 + 1 + 7 + 1 + 2 + 1 + 5 + 1 + 6 + 1 + 7 + 1 + 7));
        out.add(fit(String.format(Locale.ROOT, "%-12s %-7s %-" + (barWidth + 2) + "s %5s %6s %7s %7s", "NODE", "STATE", "LOAD",
                "LOAD", "SPEED", "FREE", "AGE"), w));
        double scale = Math.max(1.0, v.nodes().stream().mapToDouble(n -> n.info().load() / Math.max(1, n.info().cpus())).max().orElse(1));
        for (NodeView n : v.nodes()) {
            double perCpu = n.info().load() / Math.max(1, n.info().cpus());
            int filled = (int) Math.round(Math.min(1.0, perCpu / scale) * barWidth);
            boolean gone = n.state() == NodeState.DEAD || n.state() == NodeState.LEFT;
            String bar = "[" + (gone ? "-".repeat(barWidth) : "#".repeat(filled) + " ".repeat(barWidth - filled)) + "]";
            out.add(fit(String.format(Locale.ROOT, "%-12s %-7s %s %5.2f %6.3f %6dM %6.1fs", clip(n.info().id(), 12), n.state(), bar,
                    n.info().load(), n.info().speed(), n.info().freeMemKb() / 1024, n.ageMillis() / 1000.0), w));
        }
        long dropped = v.dropped() == null ? 0 : v.dropped().values().stream().mapToLong(Long::longValue).sum();
        out.add(fit(v.nodes().size() + " node(s); load bars scaled to " + String.format(Locale.ROOT, "%.1f", scale)
                + " per CPU" + (dropped > 0 ? "; refused packets " + dropped : ""), w));
        List<MoveEvent> moves = v.moves() == null ? List.of() : v.moves();
        if (!moves.isEmpty()) {
            out.add(fit("latest migrations", w));
            for (MoveEvent m : moves.subList(Math.max(0, moves.size() - MOVES_SHOWN), moves.size())) out.add(fit(move(m), w));
        }
        return out;
    }

    static final int MOVES_SHOWN = 8;

    /** "12:00:01 ca.17 cc -> ca  balanced  frozen 1.2 s of 4.1 s: why", or why it stayed. */
    static String move(MoveEvent m) {
        String at = m.at() != null && m.at().length() >= 19 ? m.at().substring(11, 19) : "--:--:--";
        String head = String.format(Locale.ROOT, "  %s %-14s %s -> %s  %-8s ", at, m.job(), m.from(), m.to(), m.reason());
        if (m.error() != null) return head + "stayed: " + m.error();
        return head + String.format(Locale.ROOT, "frozen %.1f s of %.1f s", m.freezeMillis() / 1000.0, m.totalMillis() / 1000.0)
                + (m.why() == null ? "" : ": " + m.why());
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }

    private static String fit(String s, int w) {
        return s.length() <= w ? s : s.substring(0, w);
    }
}

package dev.mosvm.console;

import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolView;
import java.io.PrintWriter;
import java.util.Locale;

/** `nodes`: the pool as one agent sees it, a line per node. */
public final class NodesTable {
    private NodesTable() {}

    public static void print(PrintWriter out, PoolView v) {
        out.println(v.pool() == null ? "not in a pool (node " + v.self() + ")" : "pool " + v.pool() + ", seen from " + v.self());
        out.printf("%-16s %-8s %-16s %4s %6s %6s %9s %5s %7s%n", "NODE", "STATE", "ADDRESS", "CPUS", "SPEED", "LOAD", "FREE MEM", "JOBS", "AGE");
        for (NodeView n : v.nodes()) {
            out.printf(Locale.ROOT, "%-16s %-8s %-16s %4d %6.3f %6.2f %8dM %5d %6.1fs%n", n.info().id(), n.state(),
                    n.info().address(), n.info().cpus(), n.info().speed(), n.info().load(), n.info().freeMemKb() / 1024,
                    n.info().jobs(), n.ageMillis() / 1000.0);
        }
        long dropped = v.dropped().values().stream().mapToLong(Long::longValue).sum();
        if (dropped > 0) out.println("refused packets: " + v.dropped());
    }
}

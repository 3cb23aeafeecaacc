package dev.mosvm.manager.cli;

import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolView;
import dev.mosvm.manager.hypervisor.Hypervisor;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "nodes", mixinStandardHelpOptions = true,
        description = "Show the pool as a local appliance's agent sees it: every node's load, speed, memory, the age of that information and its state.")
final class NodesCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Mixin JsonOutput output;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            PoolView v = root.service(hv, spec).client(instance.name, Duration.ofSeconds(5), true).nodes();
            output.print(spec, v, out -> print(out, v));
        }
        return 0;
    }

    static void print(PrintWriter out, PoolView v) {
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

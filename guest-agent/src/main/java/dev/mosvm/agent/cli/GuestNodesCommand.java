package dev.mosvm.agent.cli;

import dev.mosvm.api.Json;
import dev.mosvm.api.PoolView;
import dev.mosvm.console.NodesTable;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "nodes", mixinStandardHelpOptions = true,
        description = "Show the pool as this node's agent sees it: every node's load, speed, memory, the age of that information and its state.")
final class GuestNodesCommand implements Callable<Integer> {
    @ParentCommand GuestCli root;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PoolView v = root.agent().nodes();
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.println(Json.pretty(v));
        else NodesTable.print(out, v);
        out.flush();
        return 0;
    }
}

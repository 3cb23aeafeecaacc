package dev.mosvm.agent.cli;

import dev.mosvm.console.MonitorOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "mon", mixinStandardHelpOptions = true,
        description = "Live monitor of the pool, refreshed every second: a load bar per node. Press q to quit.")
final class GuestMonCommand implements Callable<Integer> {
    @ParentCommand GuestCli root;
    @Spec CommandSpec spec;

    @Mixin MonitorOptions monitor;

    @Override
    public Integer call() throws Exception {
        monitor.show(root.agent()::nodes, spec.commandLine().getOut());
        return 0;
    }
}

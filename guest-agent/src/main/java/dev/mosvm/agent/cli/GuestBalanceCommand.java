package dev.mosvm.agent.cli;

import dev.mosvm.console.BalanceSwitch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "balance", mixinStandardHelpOptions = true,
        description = "Turn this node's automatic balancing on or off, or show it (kept across reboots).")
final class GuestBalanceCommand implements Callable<Integer> {
    @ParentCommand GuestCli root;
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "on|off|status", description = "Default: status.")
    BalanceSwitch.Mode mode;

    @Override
    public Integer call() throws Exception {
        BalanceSwitch.print(spec.commandLine().getOut(), BalanceSwitch.apply(root.agent(), mode));
        return 0;
    }
}

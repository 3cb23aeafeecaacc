package dev.mosvm.manager.cli;

import dev.mosvm.api.BalanceState;
import dev.mosvm.console.BalanceSwitch;
import dev.mosvm.manager.appliance.AgentAccess;
import dev.mosvm.manager.hypervisor.Hypervisor;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "balance", mixinStandardHelpOptions = true,
        description = {"Turn automatic balancing of an appliance on or off, or show it: best-node placement of new jobs "
                + "started there, and moving its running jobs to faster or less loaded nodes. Kept across reboots."})
final class BalanceCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;
    @Mixin InstanceOption instance;
    @Mixin JsonOutput output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "on|off|status", description = "Default: status.")
    BalanceSwitch.Mode mode;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            BalanceState s = BalanceSwitch.apply(root.agents(hv).client(instance.name, AgentAccess.ANSWER_WAIT, true), mode);
            output.print(spec, s, out -> BalanceSwitch.print(out, s));
        }
        return 0;
    }
}

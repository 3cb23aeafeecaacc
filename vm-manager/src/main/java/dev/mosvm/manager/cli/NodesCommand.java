package dev.mosvm.manager.cli;

import dev.mosvm.api.PoolView;
import dev.mosvm.console.NodesTable;
import dev.mosvm.manager.appliance.AgentAccess;
import dev.mosvm.manager.hypervisor.Hypervisor;
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
            PoolView v = root.agents(hv).client(instance.name, AgentAccess.ANSWER_WAIT, true).nodes();
            output.print(spec, v, out -> NodesTable.print(out, v));
        }
        return 0;
    }
}

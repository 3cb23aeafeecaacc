package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentClient;
import dev.mosvm.console.MonitorOptions;
import dev.mosvm.manager.hypervisor.Hypervisor;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "mon", mixinStandardHelpOptions = true,
        description = {"Live monitor of the pool, refreshed every second: a load bar per node with speed, free memory "
                + "and the age of the information. Press q to quit."})
final class MonCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Mixin MonitorOptions monitor;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            AgentClient agent = root.agents(hv).client(instance.name, Duration.ofSeconds(5), true);
            monitor.show(agent::nodes, spec.commandLine().getOut());
        }
        return 0;
    }
}

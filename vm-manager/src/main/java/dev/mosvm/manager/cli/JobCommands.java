package dev.mosvm.manager.cli;

import dev.mosvm.api.MigrateArguments;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The pool's jobs from the host, through the local appliance (mosps and migrate inside it). */
final class JobCommands {
    private JobCommands() {}

    @Command(name = "ps", mixinStandardHelpOptions = true,
            description = "List every job in the pool: id, owner, home, where it runs, state, CPU time, memory, migrations.")
    static final class Ps implements Callable<Integer> {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;
        @Mixin InstanceOption instance;

        @Option(names = "--json", description = "Print JSON, with each job's migrations and their figures.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<String> remote = new ArrayList<>(List.of("mosps"));
            if (json) remote.add("--json");
            return RunCommand.inAppliance(root, spec, instance.name, false, remote);
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Move a running job to another pool node, or back home, while it runs.",
                    "Example: mosvm migrate ca.17 cb"})
    static final class Migrate implements Callable<Integer> {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;
        @Mixin InstanceOption instance;

        @Mixin MigrateArguments args;

        @Override
        public Integer call() throws Exception {
            return RunCommand.inAppliance(root, spec, instance.name, false, args.guestCommand());
        }
    }
}

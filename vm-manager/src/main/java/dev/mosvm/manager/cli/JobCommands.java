package dev.mosvm.manager.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
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

        @Parameters(index = "0", paramLabel = "JOB", description = "Job id, as `mosvm ps` shows it.")
        String job;

        @Parameters(index = "1", paramLabel = "NODE", description = "Target node, or 'home'.")
        String node;

        @Option(names = "--json", description = "Print the migration's figures as JSON.")
        boolean json;

        @Option(names = "--stop-and-copy", description = "Freeze the job at once and copy all of it (no pre-copy rounds); for comparison.")
        boolean stopAndCopy;

        @Override
        public Integer call() throws Exception {
            List<String> remote = new ArrayList<>(List.of("migrate", job, node));
            if (json) remote.add("--json");
            if (stopAndCopy) remote.add("--stop-and-copy");
            return RunCommand.inAppliance(root, spec, instance.name, false, remote);
        }
    }
}

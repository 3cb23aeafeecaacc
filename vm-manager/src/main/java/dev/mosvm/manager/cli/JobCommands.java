package dev.mosvm.manager.cli;

import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import dev.mosvm.api.MigrateArguments;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.console.CheckpointSummary;
import dev.mosvm.console.JobsTable;
import dev.mosvm.console.MigrationSummary;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.pool.JobService;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The pool's jobs from the host, through the local appliance's agent: what mosps and migrate (and migrate JOB checkpoint) show inside it. */
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

        @Option(names = {"-v", "--why"}, description = "Also say why each job is where it is (the placement or migration decision), "
                + "and its latest checkpoint, as mosps -v does.")
        boolean verbose;

        @Override
        public Integer call() throws Exception {
            try (Hypervisor hv = root.connect()) {
                List<JobView> jobs = new JobService(root.agents(hv)).list(instance.name);
                JsonOutput.print(spec, json, jobs, out -> JobsTable.print(out, jobs, verbose));
            }
            return 0;
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
            if (args.checkpoint(spec.commandLine())) return Checkpoint.take(root, spec, instance.name, args.job, args.json);
            try (Hypervisor hv = root.connect()) {
                MigrationRecord m = new JobService(root.agents(hv)).migrate(instance.name, args.job, args.node, args.mode());
                JsonOutput.print(spec, args.json, m, out -> MigrationSummary.print(out, args.job, m));
            }
            return 0;
        }
    }

    @Command(name = "checkpoint", mixinStandardHelpOptions = true,
            description = {"Take a checkpoint of a running job now, where it runs (as migrate JOB checkpoint in the appliance); "
                    + "mosrun -R restarts a job from one.",
                    "Example: mosvm checkpoint ca.17"})
    static final class Checkpoint implements Callable<Integer> {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;
        @Mixin InstanceOption instance;

        @Parameters(index = "0", paramLabel = "JOB", description = "Job id, as mosvm ps (mosps in the appliance) shows it.")
        String job;

        @Option(names = "--json", description = "Print the checkpoint's record as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return take(root, spec, instance.name, job, json);
        }

        static int take(MosvmCommand root, CommandSpec spec, String instance, String job, boolean json) throws Exception {
            try (Hypervisor hv = root.connect()) {
                CheckpointRecord c = new JobService(root.agents(hv)).checkpoint(instance, job);
                JsonOutput.print(spec, json, c, out -> CheckpointSummary.print(out, c));
            }
            return 0;
        }
    }
}

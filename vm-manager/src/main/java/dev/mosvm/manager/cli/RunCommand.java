package dev.mosvm.manager.cli;

import dev.mosvm.manager.hypervisor.Hypervisor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run PROGRAM as a pool job through the local appliance (mosrun inside it): its output comes here "
                + "as it is produced, its exit status is ours, and Ctrl-C reaches it.",
                "Example: mosvm run -- sh -c 'echo hello from $(hostname)'"})
final class RunCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Option(names = "--node", paramLabel = "NODE", description = "Run on this pool node (the local appliance stays the job's home).")
    String node;

    @Option(names = {"-u", "--user"}, paramLabel = "USER",
            description = "Run the job as this user of the appliance (default root, whose jobs stay on the local appliance: "
                    + "only users' jobs run on other nodes).")
    String user;

    @Option(names = "-L", description = "Keep the job on the local appliance; never migrate it.")
    boolean local;

    @Option(names = "-A", paramLabel = "MINUTES", description = "Checkpoint the job every MINUTES (1 to 10080) while it runs, at its home.")
    Integer checkpointEvery;

    @Option(names = "-N", paramLabel = "COUNT", description = "Keep the job's last COUNT checkpoints (1 to 100, default 3).")
    Integer keep;

    @Option(names = "-R", paramLabel = "CHECKPOINT",
            description = "Restart a job from a checkpoint instead of running PROGRAM: a job id (its latest), JOB/N, or a checkpoint's path.")
    String restart;

    @Parameters(arity = "0..*", paramLabel = "PROGRAM", description = "Program and its arguments (after --); none with -R.")
    List<String> command = new ArrayList<>();

    /** mosrun's own bounds (images/files/usr/local/src/mosrun.c), checked here so a typo costs no ssh session. */
    static final int MAX_EVERY_MINUTES = 10080;
    static final int MAX_KEEP = 100;
    /** Debian's NAME_REGEX (adduser.conf): what a user name in the appliance can be; nothing else reaches its shell. */
    static final java.util.regex.Pattern USER_NAME = java.util.regex.Pattern.compile("[a-z_][-a-z0-9_]{0,31}");

    @Override
    public Integer call() throws Exception {
        // in the appliance's "/", not root's home: a job's directory is a path in its home's tree,
        // and /root there is root's alone (another node, root squashed in that tree, cannot enter it)
        List<String> remote = new ArrayList<>();
        if (user != null) {
            if (!USER_NAME.matcher(user).matches()) throw usage("--user " + user + " is not a user name (lower-case letters, digits, '-' and '_')");
            remote.addAll(List.of("runuser", "-u", user, "--")); // as that user, whose jobs may leave: mosrun asks the agent as whoever runs it
        }
        remote.addAll(List.of("env", "-C", "/", "mosrun"));
        if (node != null) remote.addAll(List.of("-r", node));
        if (local) remote.add("-L");
        if (checkpointEvery != null) remote.addAll(List.of("-A", String.valueOf(bounded("-A", checkpointEvery, MAX_EVERY_MINUTES))));
        if (keep != null) remote.addAll(List.of("-N", String.valueOf(bounded("-N", keep, MAX_KEEP))));
        if (restart != null) {
            if (!command.isEmpty()) throw usage("-R restarts a job from checkpoint " + restart + ": it takes no PROGRAM (" + command.get(0) + ")");
            if (restart.isBlank() || restart.startsWith("-")) throw usage("-R needs a checkpoint: a job id, JOB/N or a checkpoint's path");
            remote.addAll(List.of("-R", restart));
        } else if (command.isEmpty()) {
            throw usage("a PROGRAM to run is required (or -R CHECKPOINT to restart one)");
        }
        remote.addAll(command);
        // over ssh: a terminal here gets one there, so Ctrl-C travels as a signal
        List<String> args;
        try (Hypervisor hv = root.connect()) {
            args = root.shells(hv).sshCommand(instance.name, System.console() != null, remote);
        }
        return SshCommand.exec(args);
    }

    private int bounded(String option, int value, int max) {
        if (value < 1 || value > max) throw usage(option + " must be between 1 and " + max + ", not " + value);
        return value;
    }

    private picocli.CommandLine.ParameterException usage(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
}

package dev.mosvm.manager.cli;

import dev.mosvm.manager.hostfolders.FolderSettings;
import dev.mosvm.manager.hostfolders.HostFolder;
import dev.mosvm.manager.hostfolders.HostFolders;
import dev.mosvm.manager.appliance.ShellAccess;
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
            description = "Run the job as this user of the appliance (default: from a host folder, the appliance user made for you; "
                    + "else root, whose jobs stay on the local appliance: only users' jobs run on other nodes).")
    String user;

    @Option(names = {"-C", "--directory"}, paramLabel = "DIR",
            description = "Run the job in this directory of the appliance (default: where you are, when the appliance shows host "
                    + "folders and you are in one; else /).")
    String directory;

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
        // mosrun's own options, checked before any instance is asked
        List<String> mosrun = new ArrayList<>(List.of("mosrun"));
        if (node != null) mosrun.addAll(List.of("-r", node));
        if (local) mosrun.add("-L");
        if (checkpointEvery != null) mosrun.addAll(List.of("-A", String.valueOf(bounded("-A", checkpointEvery, MAX_EVERY_MINUTES))));
        if (keep != null) mosrun.addAll(List.of("-N", String.valueOf(bounded("-N", keep, MAX_KEEP))));
        if (restart != null) {
            if (!command.isEmpty()) throw usage("-R restarts a job from checkpoint " + restart + ": it takes no PROGRAM (" + command.get(0) + ")");
            if (restart.isBlank() || restart.startsWith("-")) throw usage("-R needs a checkpoint: a job id, JOB/N or a checkpoint's path");
            mosrun.addAll(List.of("-R", restart));
        } else if (command.isEmpty()) {
            throw usage("a PROGRAM to run is required (or -R CHECKPOINT to restart one)");
        }
        mosrun.addAll(command);
        if (user != null && !USER_NAME.matcher(user).matches()) throw usage("--user " + user + " is not a user name (lower-case letters, digits, '-' and '_')");
        if (directory != null && (!directory.startsWith("/") || directory.contains("\n"))) throw usage("-C " + directory + ": give an absolute directory of the appliance");

        List<String> args;
        try (Hypervisor hv = root.connect()) {
            // without a folder: in the appliance's "/", not root's home: a job's directory is a path in its home's tree,
            // and /root there is root's alone (another node, root squashed in that tree, cannot enter it)
            Here here = directory != null ? new Here(directory, null) : here(root.folders(hv), hv, instance.name, user != null);
            String as = user != null ? user : here.user();
            List<String> remote = new ArrayList<>();
            // as that user, whose jobs may leave: mosrun asks the agent as whoever runs it
            if (as != null) remote.addAll(List.of("runuser", "-u", as, "--"));
            remote.addAll(List.of("env", "-C", here.dir()));
            remote.addAll(mosrun);
            // over ssh: a terminal here gets one there, so Ctrl-C travels as a signal
            args = root.shells(hv).sshCommand(instance.name, System.console() != null, remote);
        }
        return SshCommand.exec(args);
    }

    /** Where a job runs when -C does not say, and as whom when -u does not. */
    record Here(String dir, String user) {}

    /**
     * From a host folder the appliance shows: the same directory, as the appliance user made for the
     * host user. Elsewhere, with folders and no -u: an error naming them (the job would not see
     * the files here). An appliance without folders, or -u elsewhere: its "/", as root or that user.
     */
    static Here here(HostFolders folders, Hypervisor hv, String instance, boolean userGiven) throws java.io.IOException {
        java.util.Optional<FolderSettings> s = folders.settings(instance);
        if (s.isEmpty() || s.get().folders().isEmpty()) return new Here("/", null);
        java.nio.file.Path cwd = java.nio.file.Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        List<HostFolder> shown = s.get().parsed();
        java.util.Optional<String> inside = inFolder(shown, cwd);
        if (inside.isEmpty()) {
            if (userGiven) return new Here("/", null);
            throw dev.mosvm.manager.MosvmException.invalid(cwd + " is not in a folder " + instance + " shows (it shows "
                    + String.join(", ", shown.stream().map(f -> f.path().toString()).toList())
                    + "); cd into one, or say where and as whom with -C DIR and -u USER");
        }
        if (hv.state(dev.mosvm.manager.instance.InstanceConfig.domainName(instance)) != dev.mosvm.manager.hypervisor.VmState.RUNNING) {
            throw dev.mosvm.manager.MosvmException.state("instance '" + instance + "' is not running", "start it: mosvm up " + instance);
        }
        if (!folders.keeping(instance)) {
            throw dev.mosvm.manager.MosvmException.state("the host folders of " + instance + " are not mounted", "mount them again: mosvm up "
                    + instance + " --mount " + String.join(" --mount ", shown.stream().map(f -> ShellAccess.shellQuote(f.spec())).toList()));
        }
        return new Here(inside.get(), s.get().applianceUser().equals("root") ? null : s.get().applianceUser());
    }

    /**
     * {@code cwd} as a path in the appliance, if it is in one of the folders: as given, or once
     * symbolic links are resolved on both sides (macOS's /tmp is /private/tmp).
     */
    static java.util.Optional<String> inFolder(List<HostFolder> folders, java.nio.file.Path cwd) {
        java.util.Optional<HostFolder> f = HostFolder.holding(folders, cwd);
        if (f.isPresent()) return java.util.Optional.of(cwd.toString());
        try {
            java.nio.file.Path real = cwd.toRealPath();
            for (HostFolder h : folders) {
                java.nio.file.Path r = h.path().toRealPath();
                if (real.startsWith(r)) return java.util.Optional.of(h.path().resolve(r.relativize(real)).normalize().toString());
            }
        } catch (java.io.IOException e) {
            // a folder gone from this host: not where we are
        }
        return java.util.Optional.empty();
    }

    private int bounded(String option, int value, int max) {
        if (value < 1 || value > max) throw usage(option + " must be between 1 and " + max + ", not " + value);
        return value;
    }

    private picocli.CommandLine.ParameterException usage(String message) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
}

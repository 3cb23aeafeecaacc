package dev.mosvm.agent.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts a job so CRIU can move it later (docs/migration.md): into its
 * cgroup first, then a PID namespace of its own, without a new mount namespace (the
 * appliance's nfsd mount cannot be dumped), with the session leader inside it, and tini as
 * its init (forwards signals, reaps, exits with the program's status). The program runs as
 * the caller's user.
 */
public final class LaunchCommand {
    private LaunchCommand() {}

    public static List<String> of(List<String> argv, int uid, int gid, String cgroupDir) {
        if (argv.isEmpty()) throw new IllegalArgumentException("no program to run");
        // Signals the agent was started with ignored (a daemon started in the background ignores
        // SIGINT) would stay ignored in the job, and a shell cannot trap them again: the job
        // starts with every signal at its default, as a program started from a terminal does.
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "--default-signal"));
        if (cgroupDir != null) {
            cmd.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroupDir));
        }
        cmd.addAll(List.of("/usr/bin/unshare", "--pid", "--fork", "/usr/bin/setsid", "/usr/bin/tini", "--"));
        if (uid != 0) {
            cmd.addAll(List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        }
        cmd.addAll(argv);
        return cmd;
    }
}

package dev.mosvm.agent.jobs;

import dev.mosvm.agent.layout.GuestLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts a job so CRIU can move it later (docs/migration.md): the
 * appliance's static {@code mosvm-launch} puts it into its cgroup, a PID namespace of its own
 * and a new session under tini, with every signal at its default, as the caller's user; tini
 * stands in the job's own init directory, the program in the caller's working directory
 * (images/files/usr/local/src/mosvm-launch.c says why each step is there).
 */
public final class LaunchCommand {
    /** Where the image build installs the launcher. */
    public static final String LAUNCHER = GuestLayout.LAUNCHER.toString();

    private LaunchCommand() {}

    /**
     * @param cgroupDir the job's cgroup, or null for none
     * @param initDir   the working directory of the job's init (where CRIU mounts its proc), or
     *                  null to leave it in the caller's
     */
    public static List<String> of(String launcher, List<String> argv, int uid, int gid, String cgroupDir, String initDir) {
        return of(launcher, argv, uid, gid, cgroupDir, initDir, null);
    }

    /**
     * @param jobDir the job's directory ({@link JobRecords}): the launcher holds the job's streams
     *               open across a restart of the agent and writes its status there; null for neither
     */
    public static List<String> of(String launcher, List<String> argv, int uid, int gid, String cgroupDir, String initDir, String jobDir) {
        return of(launcher, argv, uid, gid, cgroupDir, initDir, jobDir, null);
    }

    /**
     * @param root the job's home's whole tree (docs/ssi.md), which becomes the program's root
     *             directory; the launcher's working directory must be inside it. Null: the node's.
     */
    public static List<String> of(String launcher, List<String> argv, int uid, int gid, String cgroupDir, String initDir, String jobDir,
                                  String root) {
        if (argv.isEmpty()) throw new IllegalArgumentException("no program to run");
        List<String> cmd = new ArrayList<>(List.of(launcher));
        if (jobDir != null) cmd.addAll(List.of("--job-dir", jobDir));
        if (root != null) cmd.addAll(List.of("--root", root));
        cmd.addAll(List.of(cgroupDir == null ? "-" : cgroupDir, initDir == null ? "-" : initDir, String.valueOf(uid), String.valueOf(gid)));
        cmd.addAll(argv);
        return cmd;
    }
}

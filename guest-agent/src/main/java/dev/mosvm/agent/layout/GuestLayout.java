package dev.mosvm.agent.layout;

import dev.mosvm.api.AgentProtocol;
import java.nio.file.Path;

/**
 * Every path the agent uses inside the appliance, in one place (the guest's counterpart of the
 * host's {@code InstanceLayout}); docs/internals.md explains each. Classes that tests run on a
 * plain host take these as constructor arguments rather than reading them here themselves.
 */
public final class GuestLayout {
    private GuestLayout() {}

    /** The appliance's own configuration, written by the image build and by pool membership. */
    public static final Path CONFIG_DIR = Path.of("/etc/mosvm");
    /** The image's version; its presence is how the agent knows it runs inside an appliance. */
    public static final Path IMAGE_VERSION = CONFIG_DIR.resolve("image-version");
    /** Pool membership and keys (mode 0600), so a rebooted node rejoins by itself. */
    public static final Path POOL_STATE = CONFIG_DIR.resolve("pool.json");
    /** The host-made guest configuration (node name, secret, TLS identity), readable only by root. */
    public static final Path GUEST_CONFIG = Path.of(AgentProtocol.FW_CFG_GUEST_PATH);

    /** Run-time state, gone at reboot (tmpfs). */
    public static final Path RUN_DIR = Path.of("/run/mosvm");
    /** The job service's local socket: mosrun, mosps and migrate connect here. */
    public static final Path JOBS_SOCKET = RUN_DIR.resolve("jobs.sock");
    /** Node-local working directories of the jobs' PID-namespace inits (CRIU writes beside them). */
    public static final Path JOBS_INIT = RUN_DIR.resolve("init");
    /**
     * One directory per job running here: its record, output counts and supervisor's status, so
     * an agent that restarts adopts the job (a reboot ends the jobs, and the tmpfs forgets them).
     */
    public static final Path JOBS_DIR = RUN_DIR.resolve("jobs");
    /** A tmpfs for migration images being sent or received. */
    public static final Path MIGRATION_IMAGES = RUN_DIR.resolve("images");

    /** The cgroup under which every job gets its own (CPU weight, memory figures, freezing). */
    public static final Path JOBS_CGROUP = Path.of("/sys/fs/cgroup/mosvm");

    /** State that survives reboots. */
    public static final Path STATE_DIR = Path.of("/var/lib/mosvm");
    /** Present while the owner has turned balancing off (`mosvm balance off`). */
    public static final Path BALANCE_OFF = STATE_DIR.resolve("balance-off");
    /**
     * At a home: output and exit status of its jobs that ran elsewhere while its agent restarted
     * (their callers went with it), one directory per user (theirs, mode 0700), JOB.out, .err, .status.
     */
    public static final Path CALLERLESS_OUTPUT = STATE_DIR.resolve("output");
    /** Output of guest jobs waiting for their home to take it. */
    public static final Path OUTPUT_SPOOL = Path.of("/var/spool/mosvm");

    /** Every node's shared files: /pool/NODE is NODE's, exported over NFS and mounted by the others. */
    public static final Path POOL_ROOT = Path.of("/pool");
    /**
     * Every home's whole tree, one directory per node: {@code /pool/.homes/HOME} is a bind of
     * HOME's "/" at HOME and HOME's "/" over NFS elsewhere, with the node's own /proc, /dev and
     * /sys on top. A job's root directory is its home's tree, so it sees the same paths on every
     * node (docs/ssi.md). The dot keeps it apart from node names, which begin with a letter or digit.
     */
    public static final Path HOMES_ROOT = POOL_ROOT.resolve(".homes");
    /** In a home's shared directory: its jobs' checkpoints, root's only (mode 0700), one directory per job. */
    public static final String CHECKPOINTS_DIR_NAME = ".mosvm-checkpoints";

    /** The static job launcher (PID namespace, cgroup, user) built from images/files/usr/local/src. */
    public static final Path LAUNCHER = Path.of("/usr/local/bin/mosvm-launch");
    /** The native speed benchmark. */
    public static final Path SPEED_TOOL = Path.of("/usr/local/bin/mosvm-speed");
    /** The page-stream relay in front of CRIU's page server (sealed or plain). */
    public static final Path PAGE_LINK = Path.of("/usr/local/bin/mosvm-pagelink");
    /** Runs `criu restore` for a job in its own cgroup and reports the restored pid. */
    public static final Path RESTORE_JOB = Path.of("/usr/lib/mosvm/restore-job");

    /** NODE's shared directory, {@code /pool/NODE}. */
    public static Path homeOf(String node) {
        return POOL_ROOT.resolve(node);
    }

    /** NODE's whole tree as its jobs see it, {@code /pool/.homes/NODE}. */
    public static Path treeOf(String node) {
        return HOMES_ROOT.resolve(node);
    }

    /**
     * Whether a home's tree is whole: the last thing put on it is the node's /sys, after its /proc
     * (homefs/HomeShares makes the trees; a job starts in one only when it is whole).
     */
    public static boolean treeComplete(Path tree) {
        return java.nio.file.Files.isDirectory(tree.resolve("proc/self")) && java.nio.file.Files.isDirectory(tree.resolve("sys/kernel"));
    }

    /** Where the checkpoints of the jobs whose home is {@code home} live, {@code /pool/HOME/.mosvm-checkpoints}. */
    public static Path checkpointsOf(String home) {
        return homeOf(home).resolve(CHECKPOINTS_DIR_NAME);
    }
}

package dev.mosvm.agent.homefs;

import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.api.NodeView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Home files without copying: each appliance keeps its jobs' files under /pool/NODE, exports
 * that directory with the kernel NFS server to the pool's members only, and mounts every
 * live member's at the same path. A job therefore sees its home's files at the same paths on
 * any node, and CRIU finds its open files where they were.
 *
 * <p>Each appliance also exports the directories of its "/" ({@link #TREE_DIRS}, root squashed:
 * a member's root is nobody there, so the appliance's keys stay its own), and every node puts
 * each live member's whole tree together at /pool/.homes/NODE: a small tmpfs with the member's
 * directories mounted on it, "/"'s symlinks (bin, lib, ...), the member's /pool/NODE as this node
 * already mounts it (not root squashed: CRIU opens a job's files there as root when it restores
 * the job), and this node's /proc, /dev and /sys. Its own tree is its "/" bound there. A job's
 * root directory is its home's tree (docs/ssi.md), so what is installed or built at home runs
 * and moves anywhere. Not "/" as one export: NFSv4 then resolves /pool/NODE through it, root
 * squashed, and nfsd crosses into no bind mount without crossmnt, which exposes every mount.
 */
public final class HomeShares implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HomeShares.class.getName());
    public static final Path ROOT = GuestLayout.POOL_ROOT;
    /** The directories of "/" a home exports for its tree: all but the node's own (proc, sys, dev, run), boot, lost+found and pool. */
    static final List<String> TREE_DIRS = List.of("etc", "home", "media", "mnt", "opt", "root", "srv", "tmp", "usr", "var");
    private final String self;
    private final Supplier<List<NodeView>> view;
    private final Set<String> exported = new HashSet<>();
    private final Map<String, String> mounted = new HashMap<>();
    private final Map<String, FolderExports.Exported> folderExports = new HashMap<>();
    private final Supervised ticker;

    public HomeShares(String self, Supplier<List<NodeView>> view) throws IOException {
        this.self = self;
        this.view = view;
        Path mine = ROOT.resolve(self);
        Files.createDirectories(mine);
        run("chmod", "1777", mine.toString()); // like /tmp: every user makes their own directory, no one removes another's
        ownTree();
        ticker = Supervised.periodic("pool-shares", 1000, 3000, this::reconcile);
    }

    private void reconcile() {
        for (SharePlan.Action a : SharePlan.plan(self, view.get(), Set.copyOf(exported), Map.copyOf(mounted))) apply(a);
        // a tree left half made (a failed mount, an agent stopped while making it) is made again
        if (!GuestLayout.treeComplete(GuestLayout.treeOf(self))) ownTree();
        for (Map.Entry<String, String> m : Map.copyOf(mounted).entrySet()) {
            if (!GuestLayout.treeComplete(GuestLayout.treeOf(m.getKey()))) mountTree(m.getKey(), m.getValue());
        }
        String info = mountinfo();
        if (info == null) return;
        hostFolders(info);
        if (++ticks % CROSSING_CHECK_TICKS == 0) staleCrossings(info);
    }

    /** Reconcile rounds (3 s) between looks at the crossings: each look starts a process per crossing. */
    private static final int CROSSING_CHECK_TICKS = 3;
    private int ticks;

    /**
     * Lets go of crossings into other nodes' folders whose export is gone (FolderExports.crossings,
     * FolderExports.exportGone): each is looked at by a process of its own, killed after a few
     * seconds, since a hard NFS mount of a node that is away blocks whoever looks. Only the errors of
     * a gone export count: this node's root is nobody in the folder (root squashed), so a folder
     * closed to others answers "Permission denied" and is left mounted, as is one that timed out.
     */
    private void staleCrossings(String info) {
        for (String node : Map.copyOf(mounted).keySet()) {
            for (String at : FolderExports.crossings(info, GuestLayout.treeOf(node).toString())) {
                String said = outputOf("timeout", "-s", "KILL", "5", "stat", "-c", "%i", at + "/.");
                if (FolderExports.exportGone(said)) {
                    boolean gone = outputOf("timeout", "-s", "KILL", "10", "umount", "-l", at) == null;
                    LOG.info((gone ? "let go of" : "cannot let go of") + " a crossing into " + node + "'s folder " + at + ": " + said);
                }
            }
        }
    }

    /** This node's mount table, or null where it cannot be read. */
    private static String mountinfo() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return null;
        }
    }

    /** What {@code cmd} printed (both streams; C locale), or null where it ended with 0; "" where it could not be run. */
    private static String outputOf(String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return p.exitValue() == 0 ? null : out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The workstation's folders shown here, in this node's tree and exported to the members (FolderExports). */
    private void hostFolders(String info) {
        String tree = GuestLayout.treeOf(self).toString();
        if (!GuestLayout.treeComplete(GuestLayout.treeOf(self))) return; // binds go onto the tree once it is there
        Map<String, FolderExports.Mount> folders = new HashMap<>();
        Map<String, FolderExports.Mount> bound = new HashMap<>();
        for (Map.Entry<String, FolderExports.Mount> m : FolderExports.hostFolders(info).entrySet()) {
            String at = m.getKey();
            if (at.startsWith(tree + "/")) bound.put(at.substring(tree.length()), m.getValue());
            else if (!at.startsWith(ROOT + "/")) folders.put(at, m.getValue());
        }
        for (FolderExports.Action a : FolderExports.plan(folders, bound, Map.copyOf(folderExports), Set.copyOf(exported))) {
            String inTree = tree + a.folder();
            switch (a.kind()) {
                case UNBIND -> run("umount", "-l", inTree);
                case BIND -> {
                    run("umount", "-l", inTree); // a dead bind of an earlier session's mount, if any
                    if (mkdir(Path.of(inTree)) && run("mount", "--bind", a.folder(), inTree)) LOG.info("host folder " + a.folder() + " in this node's tree");
                }
                case EXPORT -> {
                    // one id per mount: a handle of an earlier session's is stale, not another file of this one's
                    String fsid = java.util.UUID.nameUUIDFromBytes((self + ":" + a.folder() + ":" + a.mount().mountId()).getBytes(StandardCharsets.UTF_8))
                            .toString();
                    // root squashed like the tree: another member's root is nobody in the workstation's folder
                    if (run("exportfs", "-o", "rw,sync,no_subtree_check,root_squash,fsid=" + fsid, a.address() + ":" + a.folder())) {
                        FolderExports.Exported e = folderExports.get(a.folder());
                        Set<String> to = new HashSet<>(e != null && e.mount().equals(a.mount()) ? e.addresses() : Set.of());
                        to.add(a.address());
                        folderExports.put(a.folder(), new FolderExports.Exported(a.mount(), Set.copyOf(to)));
                        LOG.info("host folder " + a.folder() + " exported to " + a.address());
                    }
                }
                case UNEXPORT -> {
                    run("exportfs", "-u", a.address() + ":" + a.folder());
                    FolderExports.Exported e = folderExports.get(a.folder());
                    if (e != null) {
                        Set<String> to = new HashSet<>(e.addresses());
                        to.remove(a.address());
                        if (to.isEmpty()) folderExports.remove(a.folder());
                        else folderExports.put(a.folder(), new FolderExports.Exported(e.mount(), Set.copyOf(to)));
                    }
                }
            }
        }
    }

    /** This node's own tree: its "/" bound at /pool/.homes/SELF with the node's filesystems on it. */
    private void ownTree() {
        Path tree = GuestLayout.treeOf(self);
        if (GuestLayout.treeComplete(tree)) return;
        if (isMountPoint(tree)) run("umount", "-l", tree.toString()); // half made: start over
        // "/" alone, not its submounts (the other nodes' shares, /run), private: later mounts stay out of the jobs' view
        boolean made = mkdir(tree) && run("mount", "--bind", "/", tree.toString()) && run("mount", "--make-private", tree.toString())
                && nodeFilesystems(tree);
        if (made) {
            LOG.info("this node's tree, as its jobs see it, at " + tree);
        } else {
            LOG.warning("cannot make this node's tree at " + tree + " (tried again in a few seconds): jobs cannot start until it is");
            run("umount", "-l", tree.toString());
        }
    }

    private void apply(SharePlan.Action a) {
        String mine = ROOT.resolve(self).toString();
        switch (a.kind()) {
            case EXPORT -> {
                boolean all = run("exportfs", "-o", "rw,sync,no_subtree_check,no_root_squash,fsid=" + fsid(self), a.address() + ":" + mine);
                for (int i = 0; i < TREE_DIRS.size(); i++) {
                    all &= run("exportfs", "-o", "rw,sync,no_subtree_check,root_squash,fsid=" + treeFsid(self, i), a.address() + ":/" + TREE_DIRS.get(i));
                }
                exported.add(a.address()); // whatever failed: UNEXPORT must still take back what did not
                if (!all) LOG.warning("not every export to " + a.node() + " at " + a.address() + " took");
            }
            case UNEXPORT -> {
                run("exportfs", "-u", a.address() + ":" + mine);
                for (String d : TREE_DIRS) run("exportfs", "-u", a.address() + ":/" + d);
                exported.remove(a.address());
            }
            case MOUNT -> {
                Path at = ROOT.resolve(a.node());
                try {
                    Files.createDirectories(at);
                } catch (IOException e) {
                    LOG.warning("cannot make " + at + ": " + e.getMessage());
                    return;
                }
                // hard: a job waits for its home to come back instead of seeing I/O errors. Already
                // mounted: an agent restarted, and takes the mount over.
                if (isMountPoint(at) || run("mount", "-t", "nfs4", "-o", "hard,vers=4.2,retry=0", a.address() + ":" + at, at.toString())) {
                    mounted.put(a.node(), a.address());
                    LOG.info("mounted " + a.node() + "'s files at " + at);
                    mountTree(a.node(), a.address());
                }
            }
            case UNMOUNT -> {
                run("umount", "-l", ROOT.resolve(a.node()).toString());
                run("umount", "-l", GuestLayout.treeOf(a.node()).toString()); // with everything on it
                mounted.remove(a.node());
            }
        }
    }

    /**
     * {@code node}'s tree at /pool/.homes/NODE (see the class comment); an existing tree (an agent
     * restarted) is kept as it is.
     */
    private void mountTree(String node, String address) {
        Path tree = GuestLayout.treeOf(node);
        if (GuestLayout.treeComplete(tree)) return;
        if (isMountPoint(tree)) run("umount", "-l", tree.toString()); // half made: start over
        boolean made;
        try {
            Files.createDirectories(tree);
            made = run("mount", "-t", "tmpfs", "-o", "mode=755,size=1m", "mosvm-tree", tree.toString()) && run("mount", "--make-private", tree.toString());
            if (made) {
                for (Path top : listRoot()) { // bin -> usr/bin and the like, as every appliance's image has them
                    if (Files.isSymbolicLink(top)) Files.createSymbolicLink(tree.resolve(top.getFileName().toString()), Files.readSymbolicLink(top));
                }
                for (String d : List.of("proc", "dev", "sys", "run")) Files.createDirectory(tree.resolve(d));
            }
        } catch (IOException e) {
            LOG.warning("cannot make " + tree + ": " + e.getMessage());
            made = false;
        }
        for (String d : TREE_DIRS) {
            if (!made) break;
            Path at = tree.resolve(d);
            // nosuid, nodev: no setuid program or device of the home's gives a job more on this node
            made = mkdir(at) && run("mount", "-t", "nfs4", "-o", "hard,vers=4.2,retry=0,nosuid,nodev", address + ":/" + d, at.toString());
        }
        Path share = tree.resolve(Path.of("/").relativize(ROOT.resolve(node)));
        made = made && mkdir(share) && run("mount", "--bind", ROOT.resolve(node).toString(), share.toString()) && nodeFilesystems(tree);
        if (made) {
            LOG.info("mounted " + node + "'s tree at " + tree);
        } else {
            LOG.warning("cannot mount " + node + "'s tree at " + tree + ": its jobs cannot run here until it is");
            run("umount", "-l", tree.toString());
        }
    }

    /** This node's /proc, /dev (with its pts, shm and mqueue) and /sys in a home's tree. */
    private static boolean nodeFilesystems(Path tree) {
        return run("mount", "--bind", "/proc", tree.resolve("proc").toString())
                && run("mount", "--rbind", "/dev", tree.resolve("dev").toString())
                && run("mount", "--bind", "/sys", tree.resolve("sys").toString())
                && run("mount", "--make-rprivate", tree.toString());
    }

    private static List<Path> listRoot() throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(Path.of("/"))) {
            return s.toList();
        }
    }

    private static boolean mkdir(Path p) {
        try {
            Files.createDirectories(p);
            return true;
        } catch (IOException e) {
            LOG.warning("cannot make " + p + ": " + e.getMessage());
            return false;
        }
    }

    private static boolean isMountPoint(Path p) {
        return run("mountpoint", "-q", p.toString());
    }

    /** A stable NFS filesystem id per node name, so file handles survive an appliance restart. */
    static int fsid(String node) {
        return (node.hashCode() & 0x7fffffff) % 1_000_000 + 1000;
    }

    /** The id of the export of the node's {@code i}th of {@link #TREE_DIRS}: apart from {@link #fsid}'s range and each other's. */
    static int treeFsid(String node, int i) {
        return fsid(node) + (i + 2) * 1_000_000;
    }

    private static boolean run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warning(String.join(" ", cmd) + ": timed out");
                return false;
            }
            if (p.exitValue() != 0) {
                LOG.fine(String.join(" ", cmd) + ": " + out);
                return false;
            }
            return true;
        } catch (IOException | InterruptedException e) {
            LOG.warning(String.join(" ", cmd) + ": " + e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        ticker.close();
    }
}

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
 */
public final class HomeShares implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HomeShares.class.getName());
    public static final Path ROOT = GuestLayout.POOL_ROOT;
    private final String self;
    private final Supplier<List<NodeView>> view;
    private final Set<String> exported = new HashSet<>();
    private final Map<String, String> mounted = new HashMap<>();
    private final Supervised ticker;

    public HomeShares(String self, Supplier<List<NodeView>> view) throws IOException {
        this.self = self;
        this.view = view;
        Path mine = ROOT.resolve(self);
        Files.createDirectories(mine);
        run("chmod", "1777", mine.toString()); // like /tmp: every user makes their own directory, no one removes another's
        ticker = Supervised.periodic("pool-shares", 1000, 3000, this::reconcile);
    }

    private void reconcile() {
        for (SharePlan.Action a : SharePlan.plan(self, view.get(), Set.copyOf(exported), Map.copyOf(mounted))) apply(a);
    }

    private void apply(SharePlan.Action a) {
        String mine = ROOT.resolve(self).toString();
        switch (a.kind()) {
            case EXPORT -> {
                if (run("exportfs", "-o", "rw,sync,no_subtree_check,no_root_squash,fsid=" + fsid(self), a.address() + ":" + mine)) {
                    exported.add(a.address());
                }
            }
            case UNEXPORT -> {
                run("exportfs", "-u", a.address() + ":" + mine);
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
                // hard: a job waits for its home to come back instead of seeing I/O errors
                if (run("mount", "-t", "nfs4", "-o", "hard,vers=4.2,retry=0", a.address() + ":" + at, at.toString())) {
                    mounted.put(a.node(), a.address());
                    LOG.info("mounted " + a.node() + "'s files at " + at);
                }
            }
            case UNMOUNT -> {
                run("umount", "-l", ROOT.resolve(a.node()).toString());
                mounted.remove(a.node());
            }
        }
    }

    /** A stable NFS filesystem id per node name, so file handles survive an appliance restart. */
    static int fsid(String node) {
        return (node.hashCode() & 0x7fffffff) % 1_000_000 + 1000;
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

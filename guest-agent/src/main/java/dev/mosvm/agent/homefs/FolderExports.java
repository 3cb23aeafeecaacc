package dev.mosvm.agent.homefs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What to change so that the workstation's folders this appliance shows (sshfs mounts made by
 * `mosvm up --mount`, docs/host-folders.md) are in its jobs' view everywhere: bound into its own
 * tree (which is "/" alone, not its later mounts) and, those for the pool, exported to every
 * member, whose NFS clients then cross into them from the tree directory that holds them. Pure:
 * from the mounts in place (as /proc/self/mountinfo gives them) and what was done. A folder
 * mounted again (a new sshfs session) is a new mount: its bind and exports are made again, the
 * exports under a new filesystem id, so a handle of the old session's is stale rather than
 * another file of the new one's (FUSE numbers a new session's files from 1 again).
 */
public final class FolderExports {
    private FolderExports() {}

    /** The directories of "/" whose folders reach other nodes: those a home's tree holds, but for etc, usr and var (the system's). */
    static final List<String> HOLDERS = List.of("/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp");

    public enum Kind { BIND, UNBIND, EXPORT, UNEXPORT }

    /** {@code mount}: the folder's mount the action is for. */
    public record Action(Kind kind, String folder, Mount mount, String address) {}

    /**
     * A host folder's sshfs mount as mountinfo shows it: its device (a bind of it has the same),
     * its mount id (a new session's mount has a new one, whatever its device) and whether it is
     * for the pool or for jobs at home only.
     */
    public record Mount(String device, int mountId, boolean pooled) {}

    /**
     * @param folders  host folders mounted now: mount point to mount
     * @param bound    folders bound in this node's own tree: folder path (not the tree's) to mount
     * @param exported folder exports made: folder path to the mount they were made for, and the addresses
     * @param members  the addresses this node exports its tree to
     */
    public static List<Action> plan(Map<String, Mount> folders, Map<String, Mount> bound, Map<String, Exported> exported, Set<String> members) {
        List<Action> out = new ArrayList<>();
        for (Map.Entry<String, Mount> b : bound.entrySet()) {
            Mount f = folders.get(b.getKey());
            if (f == null || !f.device().equals(b.getValue().device())) out.add(new Action(Kind.UNBIND, b.getKey(), b.getValue(), null));
        }
        for (Map.Entry<String, Exported> e : exported.entrySet()) {
            Mount f = folders.get(e.getKey());
            boolean current = f != null && f.pooled() && f.mountId() == e.getValue().mount().mountId();
            for (String a : e.getValue().addresses()) {
                if (!current || !members.contains(a)) out.add(new Action(Kind.UNEXPORT, e.getKey(), e.getValue().mount(), a));
            }
        }
        for (Map.Entry<String, Mount> f : folders.entrySet()) {
            Mount m = f.getValue();
            Mount b = bound.get(f.getKey());
            // in this node's tree whatever its path: its jobs at home see it
            if (b == null || !b.device().equals(m.device())) out.add(new Action(Kind.BIND, f.getKey(), m, null));
            if (!m.pooled() || !reachesOtherNodes(f.getKey())) continue;
            Exported e = exported.get(f.getKey());
            boolean current = e != null && e.mount().mountId() == m.mountId();
            for (String a : members) {
                if (!current || !e.addresses().contains(a)) out.add(new Action(Kind.EXPORT, f.getKey(), m, a));
            }
        }
        return out;
    }

    /** The exports made of one folder: the mount they were made for and to whom. */
    public record Exported(Mount mount, Set<String> addresses) {}

    /** A folder inside one of {@link #HOLDERS} (not one itself): in the tree every member mounts. */
    static boolean reachesOtherNodes(String path) {
        if (path.contains("/../") || path.endsWith("/..") || path.contains("/./")) return false;
        for (String h : HOLDERS) if (path.startsWith(h + "/")) return true;
        return false;
    }

    /**
     * The host folders in a mountinfo text (mount point to mount): sshfs mounts made by root whose
     * source is mosvm's keeper's ("mosvm-pool:PID", "mosvm-home:PID"), not a user's own sshfs.
     */
    public static Map<String, Mount> hostFolders(String mountinfo) {
        Map<String, Mount> out = new java.util.TreeMap<>();
        for (MountLine m : MountLine.all(mountinfo)) {
            if (!m.type().equals("fuse.sshfs")) continue;
            boolean pooled = m.source().startsWith("mosvm-pool:");
            if (!pooled && !m.source().startsWith("mosvm-home:")) continue;
            if (!java.util.Arrays.asList(m.superOptions().split(",")).contains("user_id=0")) continue;
            try {
                out.put(m.at(), new Mount(m.device(), Integer.parseInt(m.id()), pooled));
            } catch (NumberFormatException e) {
                // not a mountinfo line
            }
        }
        return out;
    }

    /**
     * The crossings into another node's folders in a mountinfo text: the NFS mounts the client
     * made by itself below a directory of {@code tree} (another node's, /pool/.homes/NODE) that
     * holds folders, where a job went into a folder that node exports. A crossing outlives the
     * export it came from: a folder mounted again there is exported under a new id, and the old
     * crossing answers "No such file or directory" until it is let go (the next access crosses
     * afresh).
     */
    public static List<String> crossings(String mountinfo, String tree) {
        List<String> out = new ArrayList<>();
        for (MountLine m : MountLine.all(mountinfo)) {
            if (!m.type().startsWith("nfs")) continue;
            String at = m.at();
            for (String holder : HOLDERS) {
                if (at.startsWith(tree + holder + "/")) {
                    out.add(at);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Whether what a look into a crossing said (stat's error, in the C locale; null: it answered)
     * is a gone export's answer: a stale handle, or the old session's id the home no longer knows.
     * Anything else (a permission refused, a timeout, stat itself failing) leaves the crossing be.
     */
    public static boolean exportGone(String said) {
        return said != null && (said.contains("Stale file handle") || said.contains("No such file or directory"));
    }

    /** One line of /proc/self/mountinfo: its mount id, device, mount point (unescaped), filesystem type, source and superblock options. */
    private record MountLine(String id, String device, String at, String type, String source, String superOptions) {
        /** The well-formed lines of a mountinfo text; others are skipped. */
        static List<MountLine> all(String mountinfo) {
            List<MountLine> out = new ArrayList<>();
            for (String line : mountinfo.split("\n")) {
                String[] f = line.split(" ");
                int dash = java.util.Arrays.asList(f).indexOf("-"); // after the optional fields
                if (f.length < 10 || dash < 6 || dash + 3 >= f.length) continue;
                out.add(new MountLine(f[0], f[2], unescape(f[4]), f[dash + 1], f[dash + 2], f[dash + 3]));
            }
            return out;
        }
    }

    /** mountinfo writes space, tab, newline and backslash as \\ooo. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}

package dev.mosvm.manager.hostfolders;

import dev.mosvm.manager.MosvmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A workstation folder the appliance shows at the same path ({@code mosvm up --mount DIR[:ro|rw]}).
 * Read-only unless asked: the host's sftp-server refuses writes then, whatever the appliance's root does.
 */
public record HostFolder(Path path, boolean writable, boolean pooled) {
    /** {@code --mount none}: no folders, not even the default home. */
    public static final String NONE = "none";

    /**
     * Directories of the appliance a folder may not cover or lie in: the system's own, the pool's,
     * and the mount points of a job's tree. The tree's directories themselves (/home, /tmp, ...)
     * may hold folders, but not be one.
     */
    static final Set<String> SYSTEM = Set.of("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run",
            "/sbin", "/sys", "/usr", "/var", "/pool", "/lost+found");
    static final Set<String> TOP_ONLY = Set.of("/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp");
    /** Where the folders of other nodes' trees are reached: only folders inside these reach jobs on other nodes. */
    public static final Set<String> IN_TREE = Set.of("/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp");

    public HostFolder {
        path = path.toAbsolutePath().normalize();
    }

    /** A folder given with --mount: in the home's tree on every node. */
    public HostFolder(Path path, boolean writable) {
        this(path, writable, true);
    }

    /** DIR, DIR:ro or DIR:rw; a bad spec is an input error naming it. */
    public static HostFolder parse(String spec) {
        String dir = spec;
        boolean writable = false;
        if (spec.endsWith(":rw") || spec.endsWith(":ro")) {
            dir = spec.substring(0, spec.length() - 3);
            writable = spec.endsWith(":rw");
        }
        if (dir.isEmpty()) throw MosvmException.invalid("--mount " + spec + ": a folder is required (DIR, DIR:ro or DIR:rw)");
        if (!dir.startsWith("/")) throw MosvmException.invalid("--mount " + spec + ": give the folder's absolute path (it appears at the same path in the appliance)");
        // what the guest's shell and sshfs receive: printable, no newline, no quote tricks
        if (!dir.matches("[A-Za-z0-9_@%+=,./~ -]+")) {
            throw MosvmException.invalid("--mount " + spec + ": the folder's path may hold letters, digits, spaces and _@%+=,.~/- only");
        }
        if (dir.contains("/../") || dir.endsWith("/..")) {
            throw MosvmException.invalid("--mount " + spec + ": give the folder's path without '..'");
        }
        if (dir.length() > 512) throw MosvmException.invalid("--mount " + spec.substring(0, 40) + "...: the path is longer than 512 characters");
        return new HostFolder(Path.of(dir), writable);
    }

    public String spec() {
        return path + (writable ? ":rw" : ":ro");
    }

    /** Why the appliance cannot show this folder at its path, or null. */
    String reservedReason() {
        String p = path.toString();
        if (TOP_ONLY.contains(p) || SYSTEM.contains(p)) return "the appliance's own " + p + " is there";
        for (String s : SYSTEM) if (p.startsWith(s + "/")) return "it lies in the appliance's " + s;
        if (p.equals("/root/.ssh") || p.startsWith("/root/.ssh/")) return "it lies in the appliance's /root/.ssh (the host's key reaches root there)";
        return null;
    }

    /** Whether a job on another node sees the folder through its home's tree (docs/host-folders.md). */
    public boolean reachesOtherNodes() {
        for (String t : IN_TREE) if (path.startsWith(t) && !path.toString().equals(t)) return true;
        return false;
    }

    /** The folders of {@code specs}, checked against each other and the appliance's layout (not the host's disk). */
    public static List<HostFolder> parseAll(List<String> specs) {
        List<HostFolder> out = new ArrayList<>();
        if (specs.size() == 1 && specs.get(0).equals(NONE)) return out;
        for (String s : specs) {
            if (s.equals(NONE)) throw MosvmException.invalid("--mount none stands alone: it takes every folder away");
            HostFolder f = parse(s);
            String why = f.reservedReason();
            if (why != null) throw MosvmException.invalid("--mount " + s + ": cannot show " + f.path + " in the appliance: " + why);
            for (HostFolder o : out) {
                if (o.path.startsWith(f.path) || f.path.startsWith(o.path)) {
                    throw MosvmException.invalid("--mount " + s + ": it overlaps " + o.path + "; mount one or the other");
                }
            }
            out.add(f);
        }
        return out;
    }

    /** The folder holding {@code dir}, if any. */
    public static java.util.Optional<HostFolder> holding(List<HostFolder> folders, Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return folders.stream().filter(f -> d.startsWith(f.path)).findFirst();
    }
}

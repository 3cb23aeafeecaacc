package dev.mosvm.manager.hostfolders;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The workstation's user whose folders the appliance shows and whose jobs `mosvm run` starts:
 * under sudo the one who ran sudo (SUDO_USER, SUDO_UID, SUDO_GID), else whoever runs mosvm.
 * uid and gid are -1 where the host has none (Windows).
 */
public record HostUser(String name, int uid, int gid, Path home) {
    /** Debian's NAME_REGEX: what an appliance user may be called. */
    static final Pattern APPLIANCE_NAME = Pattern.compile("[a-z_][-a-z0-9_]{0,31}");

    public static HostUser current() {
        return of(System.getenv(), System.getProperty("user.name"), Path.of(System.getProperty("user.home")), ProcessIds.IDS);
    }

    static HostUser of(Map<String, String> env, String userName, Path userHome, int[] ids) {
        String sudoUser = env.get("SUDO_USER");
        if (ids[0] == 0 && sudoUser != null && !sudoUser.isEmpty() && !sudoUser.equals("root")) {
            int uid = parse(env.get("SUDO_UID"));
            int gid = parse(env.get("SUDO_GID"));
            if (uid > 0) return new HostUser(sudoUser, uid, gid < 0 ? uid : gid, homeOf(sudoUser));
        }
        return new HostUser(userName, ids[0], ids[1], userHome);
    }

    public boolean isRoot() {
        return uid == 0;
    }

    /**
     * The appliance user that stands for this one: the same name where it is a valid one there
     * (lower case, as Debian's tools allow), else "host-" and the valid part of it.
     */
    public String applianceName() {
        if (isRoot()) return "root";
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (APPLIANCE_NAME.matcher(n).matches()) return n;
        String cleaned = n.replaceAll("[^-a-z0-9_]", "");
        String candidate = "host-" + cleaned;
        return candidate.length() > 32 ? candidate.substring(0, 32) : candidate;
    }

    private static int parse(String s) {
        try {
            return s == null ? -1 : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** This process's uid (-1 where the host has none): asked once. */
    static int processUid() {
        return ProcessIds.IDS[0];
    }

    private static final class ProcessIds {
        static final int[] IDS = ids();
    }

    /** uid and gid of this process, from `id` where there is one. */
    private static int[] ids() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            int uid = parse(new String(p.getInputStream().readAllBytes()).strip());
            Process g = new ProcessBuilder("id", "-g").redirectErrorStream(true).start();
            int gid = parse(new String(g.getInputStream().readAllBytes()).strip());
            return new int[] {uid, gid};
        } catch (java.io.IOException e) {
            return new int[] {-1, -1};
        }
    }

    private static Path homeOf(String user) {
        try {
            Process p = new ProcessBuilder("getent", "passwd", user).redirectErrorStream(true).start();
            String[] f = new String(p.getInputStream().readAllBytes()).strip().split(":");
            if (p.waitFor() == 0 && f.length >= 6 && f[5].startsWith("/")) return Path.of(f[5]);
        } catch (java.io.IOException e) {
            // no getent (not Linux): the home is unknown
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }
}

package dev.mosvm.agent.sandbox;

/**
 * Whose jobs may run away from their home. A job's tree on another node holds that node's
 * own {@code /proc}, {@code /dev} and {@code /sys}: root there leaves the tree through
 * {@code /proc/PID/root} or a disk device whatever the seccomp filter denies, a system
 * account's uid owns that node's daemons and files, and a system group's gid opens its
 * devices ({@code disk}, {@code kmem}). So only users' jobs (Debian's login range, uid 1000 to
 * 60000, with a primary group of that range or {@code users}) are guests anywhere; the others
 * run at home. The launcher drops a user's system groups from every job that may leave, so a
 * job brings none along. Both ends check: the home before it places or moves a job, and every
 * node before it takes one in, since a peer's word is not proof. Pure.
 */
public final class GuestUsers {
    /** Debian's UID_MIN and UID_MAX, and GID_MIN and GID_MAX (login.defs): the ids {@code adduser} gives to people. */
    public static final int FIRST_ID = 1000;
    public static final int LAST_ID = 60000;
    /** Debian's {@code users} group, a primary group for people where each has no group of their own. */
    public static final int USERS_GID = 100;

    private GuestUsers() {}

    /** Whether a job of {@code uid} and primary group {@code gid} may run on a node other than its home. */
    public static boolean mayLeaveHome(int uid, int gid) {
        return person(uid) && (person(gid) || gid == USERS_GID);
    }

    /** Why job {@code job} of {@code uid} and {@code gid}, whose home is {@code home}, may not run on another node; null if it may. */
    public static String refusal(String job, int uid, int gid, String home) {
        if (mayLeaveHome(uid, gid)) return null;
        String whose = uid == 0 ? "is root's" : !person(uid) ? "is of uid " + uid + ", a system account," : "runs in group " + gid + ", a system group,";
        return "job " + job + " " + whose + " and stays on its home " + home + ": only users' jobs (uid and group " + FIRST_ID + "-" + LAST_ID
                + ") run on other nodes";
    }

    private static boolean person(int id) {
        return id >= FIRST_ID && id <= LAST_ID;
    }
}

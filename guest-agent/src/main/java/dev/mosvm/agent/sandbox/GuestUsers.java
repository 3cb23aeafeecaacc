package dev.mosvm.agent.sandbox;

/**
 * Whose jobs may run away from their home. A job's tree on another node holds that node's
 * own {@code /proc}, {@code /dev} and {@code /sys}: root there leaves the tree through
 * {@code /proc/PID/root} or a disk device whatever the seccomp filter denies, and a system
 * account's uid owns that node's daemons and files. So only users' jobs (Debian's login range,
 * uid 1000 to 60000) are guests anywhere; root's and system accounts' run at home. Both ends
 * check: the home before it places or moves a job, and every node before it takes one in,
 * since a peer's word is not proof. Pure.
 */
public final class GuestUsers {
    /** Debian's UID_MIN and UID_MAX (login.defs): the uids {@code adduser} gives to people. */
    public static final int FIRST_UID = 1000;
    public static final int LAST_UID = 60000;

    private GuestUsers() {}

    /** Whether a job of {@code uid} may run on a node other than its home. */
    public static boolean mayLeaveHome(int uid) {
        return uid >= FIRST_UID && uid <= LAST_UID;
    }

    /** Why job {@code job} of {@code uid}, whose home is {@code home}, may not run on another node; null if it may. */
    public static String refusal(String job, int uid, String home) {
        if (mayLeaveHome(uid)) return null;
        String whose = uid == 0 ? "root's" : "of uid " + uid + ", a system account,";
        return "job " + job + " is " + whose + " and stays on its home " + home + ": only users' jobs (uid " + FIRST_UID + "-" + LAST_UID
                + ") run on other nodes";
    }
}

package dev.mosvm.agent.jobs;

/**
 * Whether a job's end is a dump's doing rather than its own. CRIU injects a parasite into the
 * job while it dumps (a move's pre-dump or dump, a checkpoint); a criu killed then (by its
 * deadline, by an agent killed with its unit, by hand) detaches the job inside the parasite's
 * code, which ends in a breakpoint, and the job dies of SIGTRAP; a tracer that dies with the
 * job seized may leave it to SIGKILL. Nothing outside CRIU can undo that; what can be done is
 * to not pass it off as the job's own end. Pure.
 */
public final class DumpDeath {
    static final int SIGKILL = 9;
    static final int SIGTRAP = 5;
    /** How every reason ends: home's recovery says instead what became of the checkpoint. */
    static final String NO_CHECKPOINT = "; it had no checkpoint";

    private DumpDeath() {}

    /**
     * Why job {@code job} is lost, or null if status {@code status} is its own end. SIGTRAP while
     * a dump is under way is the parasite's breakpoint; SIGKILL only if criu failed too (else it
     * is the OOM killer's or a user's, which a move of a large job may well meet).
     *
     * @param stoppedFor what a dump of the job was for when it ended ({@link Job#stoppedFor()}, or
     *                   what the dump that had just failed was for): null for no dump
     * @param criuFailed whether that dump failed (or its agent, and its criu with it, was killed)
     */
    public static String reason(String job, String node, int status, String stoppedFor, boolean criuFailed) {
        if (stoppedFor == null || (status != 128 + SIGTRAP && !(status == 128 + SIGKILL && criuFailed))) return null;
        String what = Job.CHECKPOINT.equals(stoppedFor) ? "a checkpoint" : "its move to " + stoppedFor;
        return "job " + job + " lost: it died on " + node + " (" + (status == 128 + SIGTRAP ? "SIGTRAP" : "SIGKILL")
                + ") while being dumped for " + what + ", criu having failed inside it" + NO_CHECKPOINT;
    }

    /** A reason as an agent logs it, before anyone knows whether a checkpoint brings the job back. */
    static String forLog(String reason) {
        return reason.replace(NO_CHECKPOINT, "");
    }
}

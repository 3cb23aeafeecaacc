package dev.mosvm.agent.balance;

/**
 * A decision to move one job.
 *
 * @param job    the job
 * @param target the node it should run on
 * @param reason BALANCED (it will finish sooner there) or USHERED (memory ran short here)
 * @param why    one line for the log and for mosps
 */
public record Move(String job, String target, Reason reason, String why) {
    public enum Reason { PLACED, BALANCED, USHERED }
}

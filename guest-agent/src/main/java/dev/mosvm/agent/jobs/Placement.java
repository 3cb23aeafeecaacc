package dev.mosvm.agent.jobs;

/** Chooses the node a new job starts on (the balancer's best node; this node when there is none). */
@FunctionalInterface
public interface Placement {
    /** @param why one line on the choice, shown by mosps */
    record Choice(String node, String why) {}

    /** @param job the new job's id, so a start here counts in this node's load until the job is in the table */
    Choice place(String job);
}

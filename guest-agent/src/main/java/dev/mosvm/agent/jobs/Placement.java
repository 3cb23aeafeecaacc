package dev.mosvm.agent.jobs;

/** Chooses the node a new job starts on (the balancer's best node; this node when there is none). */
@FunctionalInterface
public interface Placement {
    /** @param why one line on the choice, shown by mosps */
    record Choice(String node, String why) {}

    Choice place();
}

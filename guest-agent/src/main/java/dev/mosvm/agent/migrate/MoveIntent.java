package dev.mosvm.agent.migrate;

/**
 * Who wants a job moved and why: a user ("moved"), or this node's balancer ("balanced",
 * "ushered") with its one-line reasoning and the rate the job gets here now.
 */
public record MoveIntent(String reason, String why, double rateHere) {
    public static final MoveIntent USER = new MoveIntent("moved", "by request", 0);

    public boolean byBalancer() {
        return !"moved".equals(reason);
    }
}

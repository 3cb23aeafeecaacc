package dev.mosvm.agent.migrate;

import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.PeerRequest;

/**
 * The target's say on an incoming job beyond compatibility: whether it has the room and the
 * CPU for it now (its own view is fresher than the gossip the source decided from).
 */
@FunctionalInterface
public interface Admission {
    /** Why this node will not take the job now, or null if it will. */
    String refusal(JobSpec spec, PeerRequest.MigrationOffer offer);

    Admission ANY = (spec, offer) -> null;
}

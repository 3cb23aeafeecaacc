package dev.mosvm.agent.gossip;

import dev.mosvm.api.NodeInfo;

/**
 * A bulletin-board entry in a message: the load vector, its age when sent, whether the node
 * left, and the node's own signature over it ({@code proof}; null where nodes sign nothing, as
 * in the simulator).
 */
public record WireEntry(NodeInfo info, long ageMillis, boolean left, EntryProof proof) {
    public WireEntry(NodeInfo info, long ageMillis, boolean left) {
        this(info, ageMillis, left, null);
    }

    /** The same entry, older: what a receiver believes of an entry a forwarder made out younger. */
    public WireEntry agedTo(long ageMillis) {
        return new WireEntry(info, ageMillis, left, proof);
    }
}

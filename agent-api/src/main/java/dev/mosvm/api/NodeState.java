package dev.mosvm.api;

/** What the pool believes of a node, from the age of its freshest entry. */
public enum NodeState {
    /** Its information is younger than the suspect threshold. */
    ALIVE,
    /** Older than the suspect threshold: probably gone, still a gossip target. */
    SUSPECT,
    /** Older than the dead threshold: no longer a target; forgotten later. */
    DEAD,
    /** It announced that it left the pool. */
    LEFT
}

package dev.mosvm.agent.gossip;

import dev.mosvm.api.NodeInfo;

/** A bulletin-board entry in a message: the load vector, its age when sent, and whether the node left. */
public record WireEntry(NodeInfo info, long ageMillis, boolean left) {}

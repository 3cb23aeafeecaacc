package dev.mosvm.agent.gossip;

import java.util.List;

/** One gossip message: the sender's youngest entries, its own first. */
public record GossipMessage(String sender, List<WireEntry> entries) {}

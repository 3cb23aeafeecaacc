package dev.mosvm.agent.gossip;

/** A message the state machine wants sent; the transport (or the simulator) delivers it. */
public record Outbound(String address, int port, GossipMessage message) {}

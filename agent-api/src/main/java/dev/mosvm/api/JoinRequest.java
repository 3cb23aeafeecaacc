package dev.mosvm.api;

/** A node asking to join: the token's secret, and who it will be in the pool. */
public record JoinRequest(String joinSecret, String node) {}

package dev.mosvm.api;

/** Found a pool named {@code pool}; join secrets expire after {@code tokenTtlSeconds}. */
public record PoolInitRequest(String pool, long tokenTtlSeconds) {}

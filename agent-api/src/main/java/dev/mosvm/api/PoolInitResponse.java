package dev.mosvm.api;

/** What the founding agent made: the pool's name, a join secret and when it expires (epoch seconds). */
public record PoolInitResponse(String pool, String joinSecret, long expiresAt) {}

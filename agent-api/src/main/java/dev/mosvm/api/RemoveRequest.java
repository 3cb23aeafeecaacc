package dev.mosvm.api;

/** Expel {@code node} from the pool (asked of the pool's founder). */
public record RemoveRequest(String node) {}

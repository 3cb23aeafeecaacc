package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Move {@code job} to {@code node} ("home" for its home node) while it runs, made as {@code mode} says (null: the default). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MigrationRequest(String job, String node, MigrationMode mode) {}

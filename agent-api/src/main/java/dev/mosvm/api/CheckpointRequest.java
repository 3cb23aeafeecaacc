package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Take a checkpoint of {@code job} now, while it runs (`mosvm checkpoint JOB`). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CheckpointRequest(String job) {}

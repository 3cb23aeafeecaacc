package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One completed move of a job: from where to where, how many pre-copy rounds ran while it
 * kept running, how long it was frozen (final dump to resumed on the target), the whole
 * migration's time, and the image bytes sent.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MigrationRecord(String from, String to, String at, int rounds, long freezeMillis, long totalMillis, long bytes) {}

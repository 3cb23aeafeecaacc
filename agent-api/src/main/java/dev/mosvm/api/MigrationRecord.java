package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One completed move of a job: from where to where, how many pre-copy rounds ran while it
 * kept running, how long it was frozen (final dump to resumed on the target), the whole
 * migration's time, and the image bytes sent; why it moved ("moved" by a user's request,
 * "balanced", "ushered") with a line on the decision; and the reference-core seconds of work
 * the job had done when it left (the balancer's estimate of its remaining work travels with it);
 * and whether its pages crossed the network "sealed" or "plain" (a pool founded with --page-streams plain).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MigrationRecord(String from, String to, String at, int rounds, long freezeMillis, long totalMillis, long bytes,
                              String reason, String why, double workDone, String pageStream) {}

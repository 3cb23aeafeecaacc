package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One migration as `mon` shows it: which job went where, why, and how it went.
 *
 * @param at      when it ended (ISO-8601)
 * @param reason  "moved" (a user asked), "balanced" or "ushered"
 * @param why     one line on the decision
 * @param error   null when the job now runs on {@code to}; else why it stayed on {@code from}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MoveEvent(String job, String from, String to, String at, String reason, String why, long freezeMillis,
                        long totalMillis, String error) {}

package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Whether a node's balancer places new jobs and moves running ones (`mosvm balance`). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BalanceState(String node, boolean enabled) {}

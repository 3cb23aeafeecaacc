package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * The pool as one agent sees it: every node with its load vector, the age of that
 * information and its state, plus the packets this agent refused, by reason.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolView(String pool, String self, List<NodeView> nodes, Map<String, Long> dropped) {}

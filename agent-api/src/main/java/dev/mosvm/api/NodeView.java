package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A node as one agent sees it: its latest load vector, how old that is, and its state. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeView(NodeInfo info, long ageMillis, NodeState state) {}

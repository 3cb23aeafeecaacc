package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * The pool as one agent sees it: every node with its load vector, the age of that
 * information and its state, the packets this agent refused, by reason, and the pool's
 * latest migrations (newest last; empty where no job service runs).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolView(String pool, String self, List<NodeView> nodes, Map<String, Long> dropped, List<MoveEvent> moves) {
    public PoolView(String pool, String self, List<NodeView> nodes, Map<String, Long> dropped) {
        this(pool, self, nodes, dropped, List.of());
    }

    public PoolView withMoves(List<MoveEvent> m) {
        return new PoolView(pool, self, nodes, dropped, m);
    }
}

package dev.mosvm.agent;

import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.net.DropCounters;
import dev.mosvm.agent.net.GossipService;
import dev.mosvm.agent.net.PoolSettings;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.Json;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/** The agent's place in a pool: gossip running if the node has joined one, else just itself. */
final class PoolMembership {
    private static final Logger LOG = Logger.getLogger(PoolMembership.class.getName());
    private final PoolSettings settings;
    private final FactsCollector facts;
    private volatile GossipService gossip;

    private PoolMembership(PoolSettings settings, FactsCollector facts, GossipService gossip) {
        this.settings = settings;
        this.facts = facts;
        this.gossip = gossip;
    }

    static PoolMembership start(Path file, FactsCollector facts) throws Exception {
        if (!Files.isRegularFile(file)) return new PoolMembership(null, facts, null);
        PoolSettings s = Json.MAPPER.readValue(file.toFile(), PoolSettings.class);
        GossipConfig cfg = "test".equals(s.profile()) ? GossipConfig.test() : GossipConfig.lan();
        GossipService g = new GossipService(s, cfg, () -> loadVector(s, facts));
        return new PoolMembership(s, facts, g);
    }

    /** This node's load vector, from the same facts the host sees. */
    static NodeInfo loadVector(PoolSettings s, FactsCollector facts) {
        try {
            AgentFacts f = facts.collect();
            return new NodeInfo(s.node(), s.address(), s.port(), f.cpus(), f.speed(), f.loadAverage()[0], f.memAvailableKb(), 0);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read this node's facts: " + e.getMessage(), e);
        }
    }

    PoolView view() throws Exception {
        GossipService g = gossip;
        if (g == null) {
            AgentFacts f = facts.collect();
            NodeInfo me = new NodeInfo(f.node(), f.address(), 0, f.cpus(), f.speed(), f.loadAverage()[0], f.memAvailableKb(), 0);
            return new PoolView(null, f.node(), List.of(new NodeView(me, 0, NodeState.ALIVE)), Map.of());
        }
        Map<String, Long> dropped = new LinkedHashMap<>();
        for (DropCounters.Reason r : DropCounters.Reason.values()) dropped.put(r.name().toLowerCase(), g.drops().get(r));
        return new PoolView(settings.pool(), settings.node(), g.view(), dropped);
    }

    Map<String, String> leave() {
        GossipService g = gossip;
        if (g == null) return Map.of("left", "not in a pool");
        g.leave();
        gossip = null;
        LOG.info("left pool " + settings.pool());
        return Map.of("left", settings.pool());
    }
}

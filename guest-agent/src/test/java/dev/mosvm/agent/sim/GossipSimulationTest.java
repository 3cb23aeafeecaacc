package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.api.NodeState;
import org.junit.jupiter.api.Test;

class GossipSimulationTest {
    static GossipSimulation.Result run(int n, double loss, long seed) {
        GossipConfig cfg = GossipConfig.forPoolSize(n, 1000, 16);
        return new GossipSimulation(new GossipSimulation.Params(n, cfg, loss, 20, seed)).run(30, true);
    }

    @Test
    void aPoolConvergesEveryNodeKnowsEveryNodeAlive() {
        GossipConfig cfg = GossipConfig.forPoolSize(60, 1000, 16);
        GossipSimulation sim = new GossipSimulation(new GossipSimulation.Params(60, cfg, 0.0, 20, 3));
        GossipSimulation.Result r = sim.run(30, false);
        for (var view : sim.states()) {
            assertEquals(61, view.size(), "everyone, the late joiner included");
            assertTrue(view.stream().allMatch(s -> s == NodeState.ALIVE), view.toString());
        }
        assertTrue(r.meanAge() <= GossipSimulation.meanAgeBound(60, 16), "mean age " + r.meanAge());
        assertTrue(r.spreadSeconds() > 0, "the new node became known to 99.9 %");
    }

    @Test
    void sameSeedSameFiguresOtherSeedOtherFigures() {
        GossipSimulation.Result a = run(40, 0.05, 11);
        GossipSimulation.Result b = run(40, 0.05, 11);
        GossipSimulation.Result c = run(40, 0.05, 12);
        assertEquals(a.meanAge(), b.meanAge());
        assertEquals(a.spreadSeconds(), b.spreadSeconds());
        assertEquals(a.detectSeconds(), b.detectSeconds());
        assertTrue(a.meanAge() != c.meanAge() || a.spreadSeconds() != c.spreadSeconds());
    }

    @Test
    void aKilledNodeIsDeclaredDeadWithinTheConfiguredBound() {
        GossipConfig cfg = GossipConfig.forPoolSize(30, 1000, 16);
        GossipSimulation.Result r = new GossipSimulation(new GossipSimulation.Params(30, cfg, 0.05, 20, 5)).run(20, true);
        assertTrue(r.detectSeconds() > cfg.deadAfterMillis() / 1000.0 - 1, "not before its information is that old");
        assertTrue(r.detectSeconds() <= cfg.deadAfterMillis() / 1000.0 + 5, "detected " + r.detectSeconds() + " s");
    }
}

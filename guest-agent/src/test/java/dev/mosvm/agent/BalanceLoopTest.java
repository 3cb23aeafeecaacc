package dev.mosvm.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BalanceLoopTest {
    @TempDir
    Path dir;

    /**
     * A burst of mosruns reaches place() before any of them is in the job table; each one
     * placed here must count, or the whole burst stays home (the balancing E2E saw 12 jobs
     * placed at 3.4 x the bound for this).
     */
    @Test
    void aBurstOfStartsSpreadsOverEqualNodes() {
        int cpus = Runtime.getRuntime().availableProcessors();
        JobTable table = new JobTable("a", null, PeerDirectory.NONE);
        NodeView b = new NodeView(new NodeInfo("b", "127.0.0.1", 7946, cpus, 1.0, 0, 4L << 20, 0), 0, NodeState.ALIVE);
        BalanceLoop loop = new BalanceLoop("a", table, new Migrations(table, dir, dir.resolve("version")), () -> List.of(b), () -> 1.0,
                BalancerConfig.DEFAULT, dir.resolve("balance-off"));
        Map<String, Integer> placed = new HashMap<>();
        for (int i = 0; i < 2 * cpus; i++) placed.merge(loop.place("job" + i).node(), 1, Integer::sum);
        assertEquals(Map.of("a", cpus, "b", cpus), placed);
    }
}

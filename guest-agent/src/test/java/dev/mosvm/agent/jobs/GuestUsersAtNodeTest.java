package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node's own check of a job a peer sends it to start: whatever the home says, root's, system accounts' and system groups' jobs are not taken in. */
class GuestUsersAtNodeTest {
    final JobTable table = new JobTable("b", null, new LoopbackPeers("b", Map.of("a", NodeState.ALIVE, "b", NodeState.ALIVE)));

    @Test
    void aNodeStartsNoRootJobOfAnotherHome() {
        IOException e = assertThrows(IOException.class, () -> table.startForHome(PeerRequest.start(spec("a.1", 0), Map.of(), "/"), null));
        assertEquals("job a.1 is root's and stays on its home a: only users' jobs (uid and group 1000-60000) run on other nodes", e.getMessage());
        assertNull(table.running("a.1"));
    }

    @Test
    void norASystemAccountsJob() {
        IOException e = assertThrows(IOException.class, () -> table.startForHome(PeerRequest.start(spec("a.2", 33), Map.of(), "/"), null));
        assertEquals("job a.2 is of uid 33, a system account, and stays on its home a: only users' jobs (uid and group 1000-60000) run on other nodes",
                e.getMessage());
        assertNull(table.running("a.2"));
    }

    @Test
    void norAUsersJobInASystemGroup() {
        IOException e = assertThrows(IOException.class, () -> table.startForHome(PeerRequest.start(spec("a.3", 1500, 6), Map.of(), "/"), null));
        assertEquals("job a.3 runs in group 6, a system group, and stays on its home a: only users' jobs (uid and group 1000-60000) run on other nodes",
                e.getMessage());
        assertNull(table.running("a.3"));
    }

    private static JobSpec spec(String id, int uid) {
        return spec(id, uid, uid);
    }

    private static JobSpec spec(String id, int uid, int gid) {
        return JobSpec.fresh(id, "a", uid, gid, List.of("true"), "2026-12-07T00:00:00Z", false, false, "placed", "test");
    }
}

package dev.mosvm.agent.homefs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SharePlanTest {
    static NodeView node(String id, String addr, NodeState s) {
        return new NodeView(new NodeInfo(id, addr, 7946, 1, 1, 0, 0, 0), 0, s);
    }

    @Test
    void exportsToMembersAndMountsLivePeersOnce() {
        List<NodeView> view = List.of(node("a", "10.0.0.1", NodeState.ALIVE), node("b", "10.0.0.2", NodeState.ALIVE),
                node("c", "10.0.0.3", NodeState.DEAD));
        List<SharePlan.Action> plan = SharePlan.plan("a", view, Set.of(), Map.of());
        assertEquals(List.of(new SharePlan.Action(SharePlan.Kind.EXPORT, "b", "10.0.0.2"),
                new SharePlan.Action(SharePlan.Kind.MOUNT, "b", "10.0.0.2"),
                new SharePlan.Action(SharePlan.Kind.EXPORT, "c", "10.0.0.3")), plan, "a dead node keeps its export but is not mounted");
        assertEquals(List.of(), SharePlan.plan("a", view, Set.of("10.0.0.2", "10.0.0.3"), Map.of("b", "10.0.0.2")), "nothing to do");
    }

    @Test
    void aNodeThatLeftLosesItsExportAndMountButADeadOneKeepsThem() {
        List<NodeView> view = List.of(node("b", "10.0.0.2", NodeState.LEFT), node("c", "10.0.0.3", NodeState.DEAD));
        List<SharePlan.Action> plan = SharePlan.plan("a", view, Set.of("10.0.0.2", "10.0.0.3"), Map.of("b", "10.0.0.2", "c", "10.0.0.3"));
        assertEquals(List.of(new SharePlan.Action(SharePlan.Kind.UNMOUNT, "b", "10.0.0.2"),
                new SharePlan.Action(SharePlan.Kind.UNEXPORT, null, "10.0.0.2")), plan);
    }
}

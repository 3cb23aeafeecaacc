package dev.mosvm.agent.homefs;

import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What to change so that this node exports its job directory to every pool member and mounts
 * every live member's at the same path: pure, from the gossiped view and what is in place.
 * A member that is down keeps its export and mount (hard NFS: its jobs elsewhere wait for it
 * rather than fail); one that left or was removed loses both.
 */
public final class SharePlan {
    private SharePlan() {}

    public record Action(Kind kind, String node, String address) {}

    public enum Kind { EXPORT, UNEXPORT, MOUNT, UNMOUNT }

    /**
     * @param exported addresses this node exports to now
     * @param mounted  peer node name to the address its share is mounted from
     */
    public static List<Action> plan(String self, List<NodeView> view, Set<String> exported, Map<String, String> mounted) {
        List<Action> out = new ArrayList<>();
        Set<String> wanted = new java.util.HashSet<>();
        for (NodeView n : view) {
            String id = n.info().id();
            if (id.equals(self)) continue;
            String addr = n.info().address();
            boolean member = n.state() != NodeState.LEFT;
            if (member && addr != null) {
                wanted.add(addr);
                if (!exported.contains(addr)) out.add(new Action(Kind.EXPORT, id, addr));
            }
            String from = mounted.get(id);
            if (!member && from != null) out.add(new Action(Kind.UNMOUNT, id, from));
            else if (n.state() == NodeState.ALIVE && addr != null && from == null) out.add(new Action(Kind.MOUNT, id, addr));
        }
        for (String addr : exported) if (!wanted.contains(addr)) out.add(new Action(Kind.UNEXPORT, null, addr));
        return out;
    }
}

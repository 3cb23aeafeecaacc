package dev.mosvm.agent.gossip;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Interns node ids to small ints so a board is a few flat arrays. An agent has one table;
 * the simulator shares one among all its nodes, which is what lets 10,000 boards fit.
 */
public final class NodeIds {
    private final Map<String, Integer> slots = new HashMap<>();
    private final List<String> names = new ArrayList<>();

    public synchronized int intern(String id) {
        Integer s = slots.get(id);
        if (s != null) return s;
        int slot = names.size();
        slots.put(id, slot);
        names.add(id);
        return slot;
    }

    public synchronized String name(int slot) {
        return names.get(slot);
    }

    public synchronized int size() {
        return names.size();
    }
}

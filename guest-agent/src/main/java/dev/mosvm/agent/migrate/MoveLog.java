package dev.mosvm.agent.migrate;

import dev.mosvm.api.MoveEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The latest migrations this node sent jobs on, successful or not, for `mon` (bounded: oldest dropped). */
public final class MoveLog {
    static final int KEEP = 50;
    private final Deque<MoveEvent> events = new ArrayDeque<>();

    public synchronized void add(MoveEvent e) {
        if (events.size() == KEEP) events.removeFirst();
        events.addLast(e);
    }

    /** Oldest first. */
    public synchronized List<MoveEvent> recent() {
        return new ArrayList<>(events);
    }
}

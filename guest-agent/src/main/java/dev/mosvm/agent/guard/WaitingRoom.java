package dev.mosvm.agent.guard;

import java.io.IOException;
import java.nio.channels.Channel;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Connections over a {@link ConnectionGate}'s per-key bound, held (not served, not read) until
 * a place of their key frees, oldest first: a legitimate burst, such as a script starting a
 * dozen jobs at once, queues rather than being turned away, while no thread waits for it, so the
 * accept loop goes on serving everyone else at once. The room is bounded per key and overall;
 * beyond it a connection is refused as the gate refuses. A held connection's deadline runs from
 * its accept (the caller arms it), so waiting counts against its opening and a closed
 * (expired) one is dropped when its turn comes.
 *
 * @param <C> a held connection
 */
public final class WaitingRoom<C extends Channel> {
    /** Serves a connection that got its place; closing the permit gives the place to the next held one. */
    public interface Admitted<C> {
        void admitted(C connection, ConnectionGate.Permit permit);
    }

    private final ConnectionGate gate;
    private final int perKey;
    private final int overall;
    private final Admitted<C> serve;
    private final Map<String, ArrayDeque<C>> held = new LinkedHashMap<>();
    private int total;

    /**
     * @param perKey  connections held at once for one key
     * @param overall connections held at once in all
     * @param serve   what a connection that got its place is given to (on the thread that freed it, or the caller's)
     */
    public WaitingRoom(ConnectionGate gate, int perKey, int overall, Admitted<C> serve) {
        this.gate = gate;
        this.perKey = perKey;
        this.overall = overall;
        this.serve = serve;
        gate.onRelease(this::letIn);
    }

    /**
     * Serves {@code connection} now if the gate has a place for it, or holds it; false if the room
     * is full too (counted by the gate as a refusal), and the caller closes it.
     */
    public boolean enter(String key, C connection) {
        ConnectionGate.Permit p = gate.tryAdmit(key);
        if (p != null) {
            serve.admitted(connection, p);
            return true;
        }
        synchronized (this) {
            dropClosed();
            ArrayDeque<C> q = held.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (q.size() >= perKey || total >= overall) {
                if (q.isEmpty()) held.remove(key);
                gate.refuse(key, q.size() >= perKey ? q.size() + " waiting from there, the most one may hold"
                        : total + " waiting, the most this server holds");
                return false;
            }
            q.addLast(connection);
            total++;
        }
        letIn(); // a place may have freed between the try and the hold
        return true;
    }

    /** Connections held now. */
    public synchronized int held() {
        dropClosed();
        return total;
    }

    /** Gives freed places to held connections, oldest of each key first. */
    private void letIn() {
        while (true) {
            C next = null;
            ConnectionGate.Permit p = null;
            synchronized (this) {
                dropClosed();
                for (Iterator<Map.Entry<String, ArrayDeque<C>>> it = held.entrySet().iterator(); it.hasNext() && next == null; ) {
                    Map.Entry<String, ArrayDeque<C>> e = it.next();
                    p = gate.tryAdmit(e.getKey());
                    if (p == null) continue;
                    next = e.getValue().pollFirst();
                    total--;
                    if (e.getValue().isEmpty()) it.remove();
                }
            }
            if (next == null) return;
            serve.admitted(next, p);
        }
    }

    private void dropClosed() {
        for (Iterator<ArrayDeque<C>> it = held.values().iterator(); it.hasNext(); ) {
            ArrayDeque<C> q = it.next();
            int before = q.size();
            q.removeIf(c -> !c.isOpen());
            total -= before - q.size();
            if (q.isEmpty()) it.remove();
        }
    }

    /** Closes every held connection (the server is closing). */
    public void closeAll() {
        synchronized (this) {
            for (ArrayDeque<C> q : held.values()) {
                for (C c : q) {
                    try {
                        c.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            }
            held.clear();
            total = 0;
        }
    }
}

package dev.mosvm.agent.balance;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Jobs on their way to a node, counted there before anything shows them: a view is read
 * again long before the gossip (or, here, the job table) catches up, and the same free node
 * must not draw a whole burst. Each job counts for {@code countMillis} at most. Pure: the
 * time is an argument, so the expiry is tested by moving a number.
 */
public final class PendingMoves {
    /**
     * A job on its way to {@code node}. For a peer, {@code seenJobs} is the job count its gossip
     * showed when the job was sent: once the gossip counts the arrivals, they are not added twice.
     */
    private record Pending(String node, String job, long rssKb, double work, long until, int seenJobs) {}

    private final long countMillis;
    private final List<Pending> pending = new ArrayList<>();

    public PendingMoves(long countMillis) {
        this.countMillis = countMillis;
    }

    /**
     * A job sent (or placed, then {@code job} is null) to peer {@code node}, whose gossip
     * showed {@code gossipedJobs} jobs at the time.
     */
    public synchronized void toPeer(String node, String job, long rssKb, double work, int gossipedJobs, long nowMillis) {
        pending.add(new Pending(node, job, rssKb, work, nowMillis + countMillis, gossipedJobs));
    }

    /** A job coming to this node {@code self} (admitted, or placed here): it counts until it is in the job table. */
    public synchronized void toHere(String self, String job, long rssKb, double work, long nowMillis) {
        pending.add(new Pending(self, job, rssKb, work, nowMillis + countMillis, 0));
    }

    /**
     * This node's {@code load} with the jobs on their way to it. Forgets what has expired and
     * every job already in this node's table ({@code inTable}), wherever it was headed: a job
     * still here while its move is under way counts here, in the table, and not at its target.
     */
    public synchronized NodeLoad here(NodeLoad load, Predicate<String> inTable, long nowMillis) {
        return with(load, false, inTable, nowMillis);
    }

    /**
     * A peer's gossiped {@code load} with the jobs on their way to it. The gossip starts counting
     * them as they arrive, so the peer counts as at least its count when the oldest of them was
     * sent plus all of them, and never less than it shows now.
     */
    public synchronized NodeLoad atPeer(NodeLoad load, long nowMillis) {
        return with(load, true, job -> false, nowMillis);
    }

    private NodeLoad with(NodeLoad n, boolean remote, Predicate<String> inTable, long now) {
        int jobs = 0;
        int base = Integer.MAX_VALUE;
        long rss = 0;
        double work = 0;
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.until() < now || p.job() != null && inTable.test(p.job())) {
                it.remove();
            } else if (p.node().equals(n.node())) {
                jobs++;
                base = Math.min(base, p.seenJobs());
                rss += p.rssKb();
                work += p.work();
            }
        }
        if (jobs == 0) return n;
        int count = remote ? Math.max(n.jobs(), base + jobs) : n.jobs() + jobs;
        return new NodeLoad(n.node(), n.cpus(), n.speed(), count, n.freeMemKb() - rss, n.workDone() + work);
    }
}

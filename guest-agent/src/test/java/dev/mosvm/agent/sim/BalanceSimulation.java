package dev.mosvm.agent.sim;

import dev.mosvm.agent.balance.Balancer;
import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.balance.GuestAdmission;
import dev.mosvm.agent.balance.JobLoad;
import dev.mosvm.agent.balance.Move;
import dev.mosvm.agent.balance.NodeBalancer;
import dev.mosvm.agent.balance.NodeLoad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A discrete-event pool where each node runs the agent's own {@link NodeBalancer} (the
 * {@link Balancer} with the agent's counting of jobs on their way, cooldowns of refusers and
 * the target's admission), on the simulated time: heterogeneous nodes
 * (1-4 CPUs of speed 0.5-2.0, 2-16 GiB; or, for comparison, identical single-CPU ones), a batch of jobs with Pareto-distributed work and
 * independent memory sizes arriving at random nodes, CPUs shared fairly among a node's jobs,
 * and moves that stop a job for the balancer's own cost estimate (fixed part plus memory over
 * the transfer rate). Each node sees the others through a view as stale as gossip makes it:
 * an entry's age is drawn around the mean age {@link GossipSimulation} measures for the pool
 * size. As in the agent, a node's gossip shows the jobs in its table (running, or still
 * leaving) and its free memory; jobs on their way count only where {@link NodeBalancer} counts
 * them; a target checks a balancer's move (admission) but not a placed start, which it does
 * not see coming; and a node sends one job at a time. The simulator has no homes (every job
 * shares its node's CPUs fairly: no guest weight), so the admission's rule on guests does not
 * apply. Deterministic for a seed.
 */
public final class BalanceSimulation {
    public enum Policy { STAY, PLACE, PLACE_AND_MIGRATE }

    /** The pool's nodes: a mix like a lab's workstations, or all alike (the simplest pool, for comparison). */
    public enum NodeMix {
        /** 1, 2, 2 or 4 CPUs of speed 0.5-2.0, 2-16 GiB */
        MIXED,
        /** one CPU of speed 1.0 and 8 GiB each */
        UNIFORM
    }

    public static final int SIZE_AWARE_MAX_NODES = 100;

    /**
     * @param meanViewAgeSeconds mean age of a gossiped entry (from GossipSimulation for this size)
     * @param arrivalSeconds     jobs arrive uniformly over this window
     */
    public record Params(int nodes, int jobs, double alpha, double minWork, Policy policy, BalancerConfig config,
                         double meanViewAgeSeconds, double arrivalSeconds, long seed, NodeMix mix) {
        public Params(int nodes, int jobs, double alpha, double minWork, Policy policy, BalancerConfig config,
                      double meanViewAgeSeconds, double arrivalSeconds, long seed) {
            this(nodes, jobs, alpha, minWork, policy, config, meanViewAgeSeconds, arrivalSeconds, seed, NodeMix.MIXED);
        }
    }

    /**
     * @param lowerBound   max(total work / total speed, largest job / fastest CPU)
     * @param releaseBound the bound also counting arrival times: no job ends before it arrives and
     *                     runs alone on the fastest CPU (equal to lowerBound for a batch at time 0)
     * @param meanSlowdown mean over jobs of response time / (work / fastest CPU)
     * @param equalShare   the same jobs on the pool as one ideal machine ({@link EqualShareReference})
     * @param sizeAware    the same, run by a scheduler that knows sizes ({@link SizeAwareReference});
     *                     null above {@link #SIZE_AWARE_MAX_NODES} nodes (it re-sorts every job at every event)
     */
    public record Result(double makespan, double lowerBound, double releaseBound, double meanSlowdown, int moves, int placedAway,
                         long events, double wallSeconds, EqualShareReference.Result equalShare, EqualShareReference.Result sizeAware) {
        public double ratio() {
            return makespan / lowerBound;
        }

        public double equalShareRatio() {
            return equalShare.makespan() / lowerBound;
        }

        public double releaseRatio() {
            return makespan / releaseBound;
        }
    }

    private static final class Node {
        final int id;
        final int cpus;
        final double speed;
        final long memKb;
        final List<Job> jobs = new ArrayList<>();
        /** jobs sent away whose move has not landed: still in this node's table, stopped */
        final List<Job> leaving = new ArrayList<>();
        /** the names of the jobs in its table: running or leaving */
        final Set<String> table = new HashSet<>();
        final NodeBalancer core;
        long usedKb;
        double updated;
        int version;
        // the node's published load over time, for stale views: (time, jobs, free memory)
        double[] histTime = new double[8];
        int[] histJobs = new int[8];
        long[] histFree = new long[8];
        double[] histWork = new double[8];
        int hist;

        Node(int id, int cpus, double speed, long memKb, BalancerConfig cfg) {
            this.id = id;
            this.cpus = cpus;
            this.speed = speed;
            this.memKb = memKb;
            this.core = new NodeBalancer(name(id), cfg, table::contains);
        }

        double rate() {
            return speed * Math.min(1.0, (double) cpus / Math.max(1, jobs.size()));
        }

        void publish(double now) {
            if (hist > 0 && histTime[hist - 1] == now) hist--;
            if (hist == histTime.length) {
                histTime = Arrays.copyOf(histTime, hist * 2);
                histJobs = Arrays.copyOf(histJobs, hist * 2);
                histFree = Arrays.copyOf(histFree, hist * 2);
                histWork = Arrays.copyOf(histWork, hist * 2);
            }
            NodeLoad m = measured();
            histWork[hist] = m.workDone();
            histTime[hist] = now;
            histJobs[hist] = m.jobs();
            histFree[hist] = m.freeMemKb();
            hist++;
        }

        /** This node as its job table and free memory show it (what it gossips). */
        NodeLoad measured() {
            double w = 0;
            for (Job j : jobs) w += j.work - j.remaining;
            for (Job j : leaving) w += j.work - j.remaining;
            return new NodeLoad(name(id), cpus, speed, table.size(), memKb - usedKb, w);
        }

        /** The load this node published at or before {@code t}. */
        NodeLoad asOf(double t) {
            int lo = 0;
            int hi = hist - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (histTime[mid] <= t) lo = mid;
                else hi = mid - 1;
            }
            return new NodeLoad(name(id), cpus, speed, histJobs[lo], histFree[lo], histWork[lo]);
        }
    }

    private static final class Job {
        final int id;
        final double work;
        final long rssKb;
        final double arrival;
        /** the node it is leaving, while its move is under way */
        Node from;
        double remaining;
        double arrivedHere;
        double finished = -1;

        Job(int id, double work, long rssKb, double arrival) {
            this.id = id;
            this.work = work;
            this.rssKb = rssKb;
            this.arrival = arrival;
            this.remaining = work;
        }
    }

    private enum Kind { ARRIVE, LAND, COMPLETE, TICK }

    private record Event(double time, long seq, Kind kind, int node, Job job, int version) {}

    private final Params p;
    private final SplittableRandom random;
    private final Balancer balancer;
    private final Node[] nodes;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
            a.time != b.time ? Double.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private final List<Job> all = new ArrayList<>();
    private long seq;
    private long events;
    private int moves;
    private int placedAway;
    private int unfinished;

    public BalanceSimulation(Params p) {
        this.p = p;
        this.random = new SplittableRandom(p.seed());
        this.balancer = new Balancer(p.config());
        this.nodes = new Node[p.nodes()];
        int[] cpuChoices = {1, 2, 2, 4};
        long[] memChoices = {2, 4, 8, 16};
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = p.mix() == NodeMix.UNIFORM ? new Node(i, 1, 1.0, 8L << 20, p.config())
                    : new Node(i, cpuChoices[random.nextInt(4)], 0.5 + 1.5 * random.nextDouble(), memChoices[random.nextInt(4)] << 20, p.config());
            nodes[i].publish(0);
        }
    }

    public Result run() {
        long t0 = System.nanoTime();
        for (int i = 0; i < p.jobs(); i++) {
            double work = p.minWork() / Math.pow(1 - random.nextDouble(), 1 / p.alpha()); // Pareto(alpha, minWork)
            long rss = (long) Math.min(2 << 20, Math.exp(Math.log(100 << 10) + random.nextGaussian())); // lognormal around 100 MiB
            Job j = new Job(i, work, rss, random.nextDouble() * p.arrivalSeconds());
            all.add(j);
            push(j.arrival, Kind.ARRIVE, random.nextInt(nodes.length), j, 0);
        }
        unfinished = all.size();
        if (p.policy() == Policy.PLACE_AND_MIGRATE) {
            for (Node n : nodes) push(random.nextDouble() * p.config().periodSeconds(), Kind.TICK, n.id, null, 0);
        }
        double now = 0;
        while (unfinished > 0) {
            Event e = queue.poll();
            now = e.time;
            events++;
            Node n = nodes[e.node];
            switch (e.kind) {
                case ARRIVE -> arrive(n, e.job, now);
                case LAND -> land(n, e.job, now);
                case COMPLETE -> {
                    if (e.version == n.version) complete(n, now);
                }
                case TICK -> {
                    tick(n, now);
                    push(now + p.config().periodSeconds(), Kind.TICK, n.id, null, 0);
                }
            }
        }
        double fastest = Arrays.stream(nodes).mapToDouble(x -> x.speed).max().orElse(1);
        double totalSpeed = Arrays.stream(nodes).mapToDouble(x -> x.speed * x.cpus).sum();
        double totalWork = all.stream().mapToDouble(j -> j.work).sum();
        double largest = all.stream().mapToDouble(j -> j.work).max().orElse(0);
        double makespan = all.stream().mapToDouble(j -> j.finished).max().orElse(0);
        double slowdown = all.stream().mapToDouble(j -> (j.finished - j.arrival) / (j.work / fastest)).average().orElse(0);
        double lowerBound = Math.max(totalWork / totalSpeed, largest / fastest);
        double releaseBound = Math.max(lowerBound, all.stream().mapToDouble(j -> j.arrival + j.work / fastest).max().orElse(0));
        double wall = (System.nanoTime() - t0) / 1e9;
        double[] cpuSpeeds = Arrays.stream(nodes).flatMapToDouble(x -> java.util.stream.DoubleStream.generate(() -> x.speed).limit(x.cpus)).toArray();
        double[] arrivals = all.stream().mapToDouble(j -> j.arrival).toArray();
        double[] works = all.stream().mapToDouble(j -> j.work).toArray();
        EqualShareReference.Result ideal = EqualShareReference.run(cpuSpeeds, arrivals, works);
        EqualShareReference.Result knowing = nodes.length <= SIZE_AWARE_MAX_NODES ? SizeAwareReference.run(cpuSpeeds, arrivals, works) : null;
        return new Result(makespan, lowerBound, releaseBound, slowdown, moves, placedAway, events, wall, ideal, knowing);
    }

    private void push(double time, Kind kind, int node, Job job, int version) {
        queue.add(new Event(time, seq++, kind, node, job, version));
    }

    private static String name(int node) {
        return "n" + node;
    }

    private static String name(Job j) {
        return "j" + j.id;
    }

    private Node node(String name) {
        return nodes[Integer.parseInt(name.substring(1))];
    }

    private static long millis(double seconds) {
        return Math.round(seconds * 1000);
    }

    private void arrive(Node n, Job j, double now) {
        if (p.policy() == Policy.STAY) {
            start(n, j, now);
            return;
        }
        Node target = node(n.core.place(n.measured(), view(n, now), name(j), random, millis(now)).target());
        if (target == n) {
            start(n, j, now);
            return;
        }
        placedAway++;
        push(now + 0.1, Kind.LAND, target.id, j, 0); // a remote start: a round trip, no memory to copy
    }

    /** A job lands on {@code t}: a remote start, or a move, which leaves its source's table now. */
    private void land(Node t, Job j, double now) {
        Node from = j.from;
        if (from != null) {
            j.from = null;
            from.leaving.remove(j);
            from.table.remove(name(j));
            from.usedKb -= j.rssKb;
            from.publish(now);
        }
        start(t, j, now);
    }

    private void start(Node n, Job j, double now) {
        advance(n, now);
        n.jobs.add(j);
        n.table.add(name(j));
        n.usedKb += j.rssKb;
        j.arrivedHere = now;
        n.publish(now);
        reschedule(n, now);
    }

    private void complete(Node n, double now) {
        advance(n, now);
        for (var it = n.jobs.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.remaining <= 1e-9) {
                j.finished = now;
                it.remove();
                n.table.remove(name(j));
                n.usedKb -= j.rssKb;
                unfinished--;
            }
        }
        n.publish(now);
        reschedule(n, now);
    }

    private void tick(Node n, double now) {
        if (n.jobs.isEmpty()) {
            // nothing to weigh, but the round still samples the node's free memory, as the agent's does
            n.core.decide(n.measured(), List.of(), List.of(), n.leaving.size(), random, millis(now));
            return;
        }
        advance(n, now);
        List<JobLoad> jobs = new ArrayList<>(n.jobs.size());
        for (Job j : n.jobs) jobs.add(new JobLoad(name(j), j.rssKb, j.work - j.remaining, false, true, now - j.arrivedHere));
        NodeBalancer.Round round = n.core.decide(n.measured(), view(n, now), jobs, n.leaving.size(), random, millis(now));
        for (Move m : round.moves()) {
            Node t = node(m.target());
            Job j = n.jobs.stream().filter(x -> name(x).equals(m.job())).findFirst().orElseThrow();
            // the target's own check, on its fresh load (it counts what it has admitted)
            String refusal = t.core.admit(t.measured(), 0, new GuestAdmission.Offer(m.job(), name(n.id), m.reason(), false,
                    round.rateHere(), j.rssKb, j.work - j.remaining), millis(now));
            if (refusal != null) {
                n.core.failed(m.target(), millis(now));
                continue;
            }
            // the job stops for the move's cost; it stays in this node's table (and memory) until it lands
            n.jobs.remove(j);
            n.leaving.add(j);
            j.from = n;
            moves++;
            push(now + balancer.cost(new JobLoad(m.job(), j.rssKb, 0, false, true, 0)), Kind.LAND, t.id, j, 0);
        }
        n.publish(now);
        reschedule(n, now);
    }

    /** A sample of the other nodes as gossip shows them: each as it was one entry's age ago. */
    private List<NodeLoad> view(Node self, double now) {
        int k = Math.min(p.config().candidates(), nodes.length - 1);
        List<NodeLoad> out = new ArrayList<>(k);
        Set<Integer> seen = new HashSet<>();
        while (out.size() < k) {
            int i = random.nextInt(nodes.length);
            if (i == self.id || !seen.add(i)) continue;
            double age = -Math.log(1 - random.nextDouble()) * p.meanViewAgeSeconds();
            out.add(nodes[i].asOf(now - age));
        }
        return out;
    }

    private void advance(Node n, double now) {
        double dt = now - n.updated;
        if (dt > 0 && !n.jobs.isEmpty()) {
            double r = n.rate();
            for (Job j : n.jobs) j.remaining = Math.max(0, j.remaining - r * dt);
        }
        n.updated = now;
    }

    private void reschedule(Node n, double now) {
        n.version++;
        if (n.jobs.isEmpty()) return;
        double least = Double.MAX_VALUE;
        for (Job j : n.jobs) least = Math.min(least, j.remaining);
        push(now + least / n.rate(), Kind.COMPLETE, n.id, null, n.version);
    }
}

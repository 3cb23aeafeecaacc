package dev.mosvm.agent.pool;

import dev.mosvm.agent.node.ProcFiles;
import dev.mosvm.agent.balance.Balancer;
import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.balance.FreeMemoryTrend;
import dev.mosvm.agent.balance.JobLoad;
import dev.mosvm.agent.balance.Move;
import dev.mosvm.agent.balance.NodeLoad;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobSpec;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.jobs.PeerRequest;
import dev.mosvm.agent.jobs.Placement;
import dev.mosvm.agent.migrate.Admission;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.agent.migrate.MoveIntent;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The balancer at work in the agent: every period it reads this node's jobs and fresh load,
 * the gossiped view of the others, asks the pure {@link Balancer} what to move and starts those
 * migrations; it places new jobs, and as a target it admits or refuses incoming ones. Jobs it
 * just sent count at their target until the gossip shows them, so one view is not used twice.
 * Off when the file {@link #OFF_MARKER} exists (`mosvm balance off`), so the choice survives a reboot.
 */
public final class BalanceLoop implements Admission, Placement {
    private static final Logger LOG = Logger.getLogger(BalanceLoop.class.getName());
    /** How long a job sent (or admitted) is counted at its target before the gossip can show it. */
    private static final long PENDING_MILLIS = 15_000;
    /** A target that refused or failed is left out of this node's decisions for this long. */
    private static final long COOLDOWN_MILLIS = 30_000;
    /**
     * Ushering looks this far ahead along the recent trend of free memory: a move takes tens of
     * seconds under emulation, and jobs that fill memory go on filling it meanwhile.
     */
    static final double USHER_HORIZON_SECONDS = 30;
    private final FreeMemoryTrend trend = new FreeMemoryTrend(20_000);

    private final String self;
    private final JobTable table;
    private final Migrations migrations;
    private final Supplier<List<NodeView>> members;
    private final java.util.function.DoubleSupplier speed;
    private final Path offMarker;
    private volatile Balancer balancer;
    private final SplittableRandom rnd = new SplittableRandom();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ExecutorService movers = Executors.newCachedThreadPool(r -> daemon(r, "balance-move"));
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "balance"));
    private final List<Pending> pending = new ArrayList<>();
    private final Map<String, Long> cooldown = new ConcurrentHashMap<>();
    private double measuredRate = -1;

    public static final Path OFF_MARKER = Path.of("/var/lib/mosvm/balance-off");

    /**
     * A job on its way to {@code node}. For a peer, {@code seenJobs} is the job count its gossip
     * showed when the job was sent: once the gossip counts the arrivals, they are not added twice.
     */
    private record Pending(String node, String job, long rssKb, double work, long until, int seenJobs) {
        Pending(String node, String job, long rssKb, double work, long until) {
            this(node, job, rssKb, work, until, 0);
        }
    }

    public BalanceLoop(String self, JobTable table, Migrations migrations, Supplier<List<NodeView>> members, java.util.function.DoubleSupplier speed,
                BalancerConfig cfg, Path offMarker) {
        this.self = self;
        this.table = table;
        this.migrations = migrations;
        this.members = members;
        this.speed = speed;
        this.offMarker = offMarker;
        this.balancer = new Balancer(cfg);
    }

    public void start() {
        long period = Math.round(balancer.config().periodSeconds() * 1000);
        ticks.scheduleWithFixedDelay(this::tickSafely, period, period, TimeUnit.MILLISECONDS);
        LOG.info("balancer " + (enabled() ? "on" : "off (" + offMarker + ")") + ", every " + period + " ms");
    }

    public boolean enabled() {
        return !Files.exists(offMarker);
    }

    public void enabled(boolean on) throws IOException {
        if (on) {
            Files.deleteIfExists(offMarker);
        } else {
            Files.createDirectories(offMarker.getParent());
            Files.writeString(offMarker, "balancing off since " + Instant.now() + "\n");
        }
        LOG.info("balancer turned " + (on ? "on" : "off"));
    }

    private void tickSafely() {
        try {
            if (enabled()) tick();
        } catch (RuntimeException e) {
            LOG.warning("balancer round failed: " + e);
        }
    }

    /** One round: decide from what is known now, start the chosen moves (each on its own thread). */
    void tick() {
        List<Job> jobs = table.jobs();
        NodeLoad now0 = selfLoad();
        long predicted = trend.predict(System.currentTimeMillis(), now0.freeMemKb(), USHER_HORIZON_SECONDS);
        if (jobs.isEmpty()) return;
        // decide on the free memory expected a move's time from now
        NodeLoad here = new NodeLoad(now0.node(), now0.cpus(), now0.speed(), now0.jobs(), Math.min(now0.freeMemKb(), predicted), now0.workDone());
        List<NodeLoad> peers = peerLoads(true);
        List<JobLoad> loads = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Job j : jobs) {
            if (j.state() != Job.State.RUNNING || !j.launcher().isAlive()) continue;
            loads.add(new JobLoad(j.id(), Math.max(0, j.rssKb()), table.workDone(j), !j.spec().balanced(),
                    !j.spec().home().equals(self), (now - j.startedHere().toEpochMilli()) / 1000.0));
        }
        for (Move m : balancer.decide(here, peers, loads, inFlight.get(), rnd)) {
            Job job = table.running(m.job());
            if (job == null) continue;
            JobLoad l = loads.stream().filter(x -> x.id().equals(m.job())).findFirst().orElseThrow();
            synchronized (pending) {
                pending.add(new Pending(m.target(), m.job(), l.rssKb(), l.workDone(), now + PENDING_MILLIS, gossipedJobs(m.target())));
            }
            inFlight.incrementAndGet();
            double rateHere = here.rateWith(here.jobs());
            String reason = m.reason().name().toLowerCase(Locale.ROOT);
            LOG.info("balancer: " + reason + " " + m.job() + " -> " + m.target() + ": " + m.why());
            movers.execute(() -> {
                try {
                    MigrationRecord r = migrations.migrate(job, m.target(), new MoveIntent(reason, m.why(), rateHere));
                    learnRate(r);
                } catch (IOException e) {
                    cooldown.put(m.target(), System.currentTimeMillis() + COOLDOWN_MILLIS);
                    LOG.info("balancer: " + m.job() + " stays on " + self + ": " + e.getMessage());
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
    }

    /**
     * Where a new job should start ({@code mosrun} without -r or -L): this node, or the peer
     * where it would get the most CPU. Returns the node and one line on the choice.
     */
    @Override
    public synchronized Choice place(String job) {
        NodeLoad here = selfLoad();
        if (!enabled()) return new Choice(self, "balancing is off on " + self);
        List<NodeLoad> peers = peerLoads(true);
        String node = balancer.place(here, peers, rnd);
        if (node.equals(self)) {
            // many mosruns arrive within a second: count this one here before it reaches the table
            synchronized (pending) {
                pending.add(new Pending(self, job, 0, 0, System.currentTimeMillis() + PENDING_MILLIS));
            }
            return new Choice(self, String.format(Locale.ROOT, "%s was the best node (%.2f reference cores for it)", self, here.rateForOneMore()));
        }
        NodeLoad t = peers.stream().filter(p -> p.node().equals(node)).findFirst().orElseThrow();
        synchronized (pending) {
            pending.add(new Pending(node, null, 0, 0, System.currentTimeMillis() + PENDING_MILLIS, gossipedJobs(node)));
        }
        return new Choice(node, String.format(Locale.ROOT, "best node: %.2f reference cores for it there vs %.2f on %s",
                t.rateForOneMore(), here.rateForOneMore(), self));
    }

    /**
     * The target's check (see {@link Admission}): a user's move is the user's call; the
     * balancer's must fit in memory, and a balanced one must still run faster here than where
     * it is and must not land a guest on a node whose own jobs fill its CPUs.
     */
    @Override
    public synchronized String refusal(JobSpec spec, PeerRequest.MigrationOffer offer) {
        if (offer.reason() == null || "moved".equals(offer.reason())) return null;
        NodeLoad here = selfLoad();
        boolean guest = !spec.home().equals(self);
        Move.Reason why = "ushered".equals(offer.reason()) ? Move.Reason.USHERED : Move.Reason.BALANCED;
        // a guest here gets only CPU the owner's jobs leave (cpu.weight), so none while they fill the CPUs;
        // a job fleeing a node short of memory is still taken in, to wait at that low weight
        if (guest && why == Move.Reason.BALANCED && ownJobs() >= here.cpus()) return self + " is busy with its own jobs and takes no guests now";
        if (!balancer.accepts(here, why, offer.rateAtSource(), offer.rssKb())) {
            return String.format(Locale.ROOT, "%s declines: %d MiB free, %d job(s); it would give the job %.2f reference cores against %.2f on %s",
                    self, here.freeMemKb() / 1024, here.jobs(), here.rateForOneMore(), offer.rateAtSource(), offer.from());
        }
        synchronized (pending) {
            pending.add(new Pending(self, spec.id(), offer.rssKb(), spec.workBefore(), System.currentTimeMillis() + PENDING_MILLIS));
        }
        return null;
    }

    private int ownJobs() {
        int n = 0;
        for (Job j : table.jobs()) if (j.spec().home().equals(self)) n++;
        return n;
    }

    /** This node now, with jobs admitted but not yet arrived. */
    private NodeLoad selfLoad() {
        long free;
        try {
            free = ProcFiles.parseMeminfo(ProcFiles.read("/proc/meminfo")).getOrDefault("MemAvailable", 0L);
        } catch (IOException e) {
            free = 0;
        }
        NodeLoad n = new NodeLoad(self, Runtime.getRuntime().availableProcessors(), speed.getAsDouble(), table.count(), free, table.workDone());
        return withPending(n, false);
    }

    /** The live peers as gossiped, with the jobs this node just sent them; refusers are left out for a while. */
    private List<NodeLoad> peerLoads(boolean skipCooling) {
        long now = System.currentTimeMillis();
        List<NodeLoad> out = new ArrayList<>();
        for (NodeView v : members.get()) {
            NodeInfo i = v.info();
            if (v.state() != NodeState.ALIVE || i.id().equals(self)) continue;
            Long until = cooldown.get(i.id());
            if (skipCooling && until != null && until > now) continue;
            out.add(withPending(new NodeLoad(i.id(), i.cpus(), i.speed(), i.jobs(), i.freeMemKb(), i.workDone()), true));
        }
        return out;
    }

    /**
     * {@code n} with the jobs on their way to it. Here, a job counts until it is in the table.
     * At a peer, the gossip starts counting them as they arrive, so the peer counts as at least
     * its count when the oldest of them was sent plus all of them, and never less than it shows now.
     */
    private NodeLoad withPending(NodeLoad n, boolean remote) {
        long now = System.currentTimeMillis();
        int jobs = 0;
        int base = Integer.MAX_VALUE;
        long rss = 0;
        double work = 0;
        synchronized (pending) {
            for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                boolean arrived = !remote && p.job() != null && table.running(p.job()) != null;
                if (p.until() < now || arrived) {
                    it.remove();
                } else if (p.node().equals(n.node())) {
                    jobs++;
                    base = Math.min(base, p.seenJobs());
                    rss += p.rssKb();
                    work += p.work();
                }
            }
        }
        if (jobs == 0) return n;
        int count = remote ? Math.max(n.jobs(), base + jobs) : n.jobs() + jobs;
        return new NodeLoad(n.node(), n.cpus(), n.speed(), count, n.freeMemKb() - rss, n.workDone() + work);
    }

    /** The job count {@code node}'s gossip shows now (0 if it is not in the view). */
    private int gossipedJobs(String node) {
        for (NodeView v : members.get()) if (v.info().id().equals(node)) return v.info().jobs();
        return 0;
    }

    /** Moves measured on this pool set the transfer rate the cost model uses (a moving average). */
    private synchronized void learnRate(MigrationRecord r) {
        if (r.totalMillis() <= 0 || r.bytes() <= 0) return;
        BalancerConfig c = balancer.config();
        // the fixed part of the cost is counted apart: the rate is what each further byte costs
        double rate = r.bytes() / Math.max(0.5, r.totalMillis() / 1000.0 - c.fixedCostSeconds());
        measuredRate = measuredRate < 0 ? rate : 0.7 * measuredRate + 0.3 * rate;
        balancer = new Balancer(new BalancerConfig(c.periodSeconds(), c.minWorkSeconds(), c.gainFactor(), measuredRate, c.fixedCostSeconds(),
                c.usherBelowKb(), c.maxConcurrent(), c.settleSeconds(), c.candidates(), c.nearBest()));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}

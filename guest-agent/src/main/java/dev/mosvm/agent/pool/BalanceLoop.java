package dev.mosvm.agent.pool;

import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.balance.GuestAdmission;
import dev.mosvm.agent.balance.JobLoad;
import dev.mosvm.agent.balance.Move;
import dev.mosvm.agent.balance.NodeBalancer;
import dev.mosvm.agent.balance.NodeLoad;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.jobs.Placement;
import dev.mosvm.agent.migrate.Admission;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.agent.migrate.MoveIntent;
import dev.mosvm.agent.node.ProcFiles;
import dev.mosvm.agent.sandbox.GuestUsers;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The balancer at work in the agent: every period it reads this node's jobs and fresh load and
 * the gossiped view of the others, asks the pure {@link NodeBalancer} what to move and starts
 * those migrations; it places new jobs, and as a target it admits or refuses incoming ones.
 * The rules (what counts where, who is left out, who is admitted) are the {@link NodeBalancer}'s;
 * this class only reads /proc, the job table and the gossip, and acts.
 * Off when the file {@link #OFF_MARKER} exists (`mosvm balance off`), so the choice survives a reboot.
 */
public final class BalanceLoop implements Admission, Placement {
    private static final Logger LOG = Logger.getLogger(BalanceLoop.class.getName());

    private final String self;
    private final JobTable table;
    private final Migrations migrations;
    private final Supplier<List<NodeView>> members;
    private final DoubleSupplier speed;
    private final Path offMarker;
    private final LongSupplier clock;
    private final NodeBalancer core;
    private final SplittableRandom rnd = new SplittableRandom();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ExecutorService movers = Executors.newCachedThreadPool(r -> daemon(r, "balance-move"));
    private Supervised ticks;

    public static final Path OFF_MARKER = GuestLayout.BALANCE_OFF;

    public BalanceLoop(String self, JobTable table, Migrations migrations, Supplier<List<NodeView>> members, DoubleSupplier speed,
                BalancerConfig cfg, Path offMarker) {
        this(self, table, migrations, members, speed, cfg, offMarker, System::currentTimeMillis);
    }

    /** @param clock the wall clock in milliseconds (a test's own, to advance it) */
    BalanceLoop(String self, JobTable table, Migrations migrations, Supplier<List<NodeView>> members, DoubleSupplier speed,
                BalancerConfig cfg, Path offMarker, LongSupplier clock) {
        this.self = self;
        this.table = table;
        this.migrations = migrations;
        this.members = members;
        this.speed = speed;
        this.offMarker = offMarker;
        this.clock = clock;
        this.core = new NodeBalancer(self, cfg, job -> table.running(job) != null);
    }

    public void start() {
        long period = Math.round(core.config().periodSeconds() * 1000);
        ticks = Supervised.periodic("balance", period, period, () -> {
            if (enabled()) tick();
        });
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
            Files.writeString(offMarker, "balancing off since " + Instant.ofEpochMilli(clock.getAsLong()) + "\n");
        }
        LOG.info("balancer turned " + (on ? "on" : "off"));
    }

    /** One round: decide from what is known now, start the chosen moves (each on its own thread). */
    void tick() {
        long now = clock.getAsLong();
        List<JobLoad> loads = new ArrayList<>();
        for (Job j : table.jobs()) {
            if (j.state() != Job.State.RUNNING || !j.launcher().isAlive()) continue;
            loads.add(new JobLoad(j.id(), Math.max(0, j.rssKb()), table.workDone(j), !j.spec().balanced() || j.spec().home().equals(self) && !GuestUsers.mayLeaveHome(j.uid(), j.spec().gid()),
                    !j.spec().home().equals(self), (now - j.startedHere().toEpochMilli()) / 1000.0));
        }
        NodeBalancer.Round round = core.decide(measured(), gossiped(), loads, inFlight.get(), rnd, now);
        for (Move m : round.moves()) {
            Job job = table.running(m.job());
            if (job == null) continue;
            inFlight.incrementAndGet();
            MoveIntent intent = new MoveIntent(m.reason().wire(), m.why(), round.rateHere());
            LOG.info("balancer: " + intent.reason() + " " + m.job() + " -> " + m.target() + ": " + m.why());
            movers.execute(() -> {
                try {
                    MigrationRecord r = migrations.migrate(job, m.target(), intent);
                    core.moved(r.bytes(), r.totalMillis());
                } catch (IOException e) {
                    core.failed(m.target(), clock.getAsLong());
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
    public Choice place(String job) {
        if (!enabled()) return new Choice(self, "balancing is off on " + self);
        Move m = core.place(measured(), gossiped(), job, rnd, clock.getAsLong());
        return new Choice(m.target(), m.why());
    }

    /** The target's check (see {@link Admission} and {@link GuestAdmission}). */
    @Override
    public String refusal(JobSpec spec, PeerRequest.MigrationOffer offer) {
        Move.Reason why = Move.Reason.ofOffer(offer.reason());
        if (why == null) return null;
        GuestAdmission.Offer o = new GuestAdmission.Offer(spec.id(), offer.from(), why, !spec.home().equals(self), offer.rateAtSource(),
                offer.rssKb(), spec.workBefore());
        return core.admit(measured(), ownJobs(), o, clock.getAsLong());
    }

    private int ownJobs() {
        int n = 0;
        for (Job j : table.jobs()) if (j.spec().home().equals(self)) n++;
        return n;
    }

    /** This node as /proc and the job table show it now. */
    private NodeLoad measured() {
        long free;
        try {
            free = ProcFiles.parseMeminfo(ProcFiles.read("/proc/meminfo")).getOrDefault("MemAvailable", 0L);
        } catch (IOException e) {
            free = 0;
        }
        return new NodeLoad(self, Runtime.getRuntime().availableProcessors(), speed.getAsDouble(), table.count(), free, table.workDone());
    }

    /** The other live nodes as gossiped. */
    private List<NodeLoad> gossiped() {
        List<NodeLoad> out = new ArrayList<>();
        for (NodeView v : members.get()) {
            NodeInfo i = v.info();
            if (v.state() != NodeState.ALIVE || i.id().equals(self)) continue;
            out.add(new NodeLoad(i.id(), i.cpus(), i.speed(), i.jobs(), i.freeMemKb(), i.workDone()));
        }
        return out;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}

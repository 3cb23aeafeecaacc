package dev.mosvm.agent;

import dev.mosvm.api.Endpoint;
import dev.mosvm.agent.overlay.OverlayDevice;
import dev.mosvm.agent.overlay.WireGuardDevice;
import dev.mosvm.agent.overlay.WireGuardKeys;

import dev.mosvm.agent.checkpoint.CheckpointStore;
import dev.mosvm.agent.checkpoint.Checkpointer;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.sandbox.GuestLimits;
import dev.mosvm.agent.api.AgentServer;
import dev.mosvm.agent.api.GuestConfigSource;
import dev.mosvm.agent.api.SelfTest;
import dev.mosvm.agent.node.CpuCap;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.node.NodeSpeed;
import dev.mosvm.agent.node.PowerControl;
import dev.mosvm.agent.node.ProcFiles;
import dev.mosvm.agent.node.SpeedBenchmark;
import dev.mosvm.agent.pool.BalanceLoop;
import dev.mosvm.agent.pool.CompactRequests;
import dev.mosvm.agent.pool.SealRequests;
import dev.mosvm.agent.pool.HomeFolds;
import dev.mosvm.agent.pool.LivePeers;
import dev.mosvm.agent.pool.Membership;
import dev.mosvm.agent.pool.PeerServer;
import dev.mosvm.agent.pool.RecentMoves;
import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.homefs.HomeShares;
import dev.mosvm.agent.jobs.Adoption;
import dev.mosvm.agent.jobs.JobRecords;
import dev.mosvm.agent.jobs.JobServer;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.Orphans;
import dev.mosvm.agent.jobs.LaunchCommand;
import dev.mosvm.agent.migrate.ImageScratch;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.agent.timekeeping.ClockKeeper;
import dev.mosvm.agent.timekeeping.PoolClockOffset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The daemon the appliance starts at boot. It has its own entry point without a CLI parser:
 * picocli alone costs the idle agent about 3 MB and, being Java 5 bytecode, cannot go into
 * the class-data archive that shortens start-up.
 */
public final class AgentDaemon {
    static {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s %3$s: %5$s%6$s%n");
    }

    private static final Logger LOG = Logger.getLogger(AgentDaemon.class.getName());

    private AgentDaemon() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(AgentSettings.fromSystemProperties()));
    }

    static int run(AgentSettings s) throws Exception {
        // an appliance's clock stands still while its VM is paused; outside one the host keeps its own
        PoolClockOffset poolTime = null;
        if (Files.isRegularFile(GuestLayout.IMAGE_VERSION)) {
            poolTime = PoolClockOffset.load(s.pool().resolveSibling("pool-clock-offset"));
            // with no RTC nothing would apply an offset, and following the pool would only grow it
            if (ClockKeeper.start(poolTime) == null) poolTime = null;
        }
        GuestConfig cfg = GuestConfigSource.load(s.config(), 30_000);
        LOG.info("configuration loaded at " + uptime() + " s of uptime");
        double cap = CpuCap.read();
        NodeSpeed speed = new NodeSpeed(SpeedBenchmark.measure(s.speedBudgetMs()), cap);
        LOG.info("speed " + speed.get() + (cap < 1 ? " (" + speed.measured() + " measured, capped to " + Math.round(cap * 100) + " % by the host)" : "")
                + " by " + uptime() + " s");
        NodeIdentity identity = NodeIdentity.loadOrCreate(s.pool().resolveSibling("node-identity"));
        OverlayDevice overlay = overlayDevice(s, cfg);
        FactsCollector facts = new FactsCollector(cfg.node(), speed::get, identity.publicKeyBase64(),
                overlay == null ? null : overlay.publicKey(), overlay == null ? () -> null : () -> java.util.Objects.toString(overlay.endpoint(), null));
        Membership pool = Membership.start(s.pool(), facts, poolTime, identity, overlay);
        AgentServer server = new AgentServer(cfg, s.port(), facts, new PowerControl(s.powerOff()), pool);
        server.start();
        if (s.jobsSocket() != null && !s.selfTest()) startJobs(s, cfg, pool, speed, facts, server);
        facts.markReady();
        // Start-up garbage (benchmark, TLS and JSON set-up) is most of the heap; collect it
        // once so the heap shrinks (MaxHeapFreeRatio in agent-jvm.options).
        System.gc();
        LOG.info("node " + cfg.node() + " speed " + speed.get() + " listening on :" + server.port());
        // The console line lets the host (and a human reading serial.log) see readiness.
        System.out.println(AgentProtocol.READY_LINE + " node=" + cfg.node() + " at " + facts.readyAt() + "s");
        if (s.selfTest()) {
            int status = SelfTest.run(cfg, server.port());
            server.stop();
            return status;
        }
        Thread.currentThread().join();
        return 0;
    }

    /**
     * This appliance's end of a pool overlay: its WireGuard key (made at first start), the port it
     * listens on and the endpoint others reach it at, as the host said (the qemu driver forwards
     * one UDP port to it), else its own address and WireGuard's port. None outside an appliance.
     */
    private static OverlayDevice overlayDevice(AgentSettings s, GuestConfig cfg) throws IOException {
        if (!Files.isRegularFile(GuestLayout.IMAGE_VERSION)) return null;
        int port = cfg.overlayPort() > 0 ? cfg.overlayPort() : GuestConfig.OVERLAY_PORT;
        WireGuardKeys keys = WireGuardKeys.loadOrCreate(s.pool().resolveSibling("wg.key"));
        if (GuestConfig.NO_ENDPOINT.equals(cfg.overlayEndpoint())) return new WireGuardDevice(keys, port, null, () -> null); // unreachable: it calls the others
        Endpoint at = Endpoint.parseOrNull(cfg.overlayEndpoint());
        if (cfg.overlayEndpoint() != null && at == null) LOG.warning("the host's overlay endpoint '" + cfg.overlayEndpoint() + "' is invalid; advertising this appliance's own address");
        return new WireGuardDevice(keys, port, at, FactsCollector::primaryAddress);
    }

    /**
     * Jobs: the local socket for mosrun, mosps and migrate, the peer service other agents
     * reach, and (inside an appliance) the NFS shares of /pool and a tmpfs for migration images.
     */
    private static void startJobs(AgentSettings s, GuestConfig cfg, Membership pool, NodeSpeed speed, FactsCollector facts, AgentServer server) throws Exception {
        LivePeers peers = new LivePeers(pool, cfg.node(), s.peerPort());
        boolean appliance = Files.isRegularFile(GuestLayout.IMAGE_VERSION);
        Path cgroups = Files.isDirectory(GuestLayout.JOBS_CGROUP.getParent()) ? GuestLayout.JOBS_CGROUP : null;
        Path inits = appliance ? GuestLayout.JOBS_INIT : null;
        JobTable table = new JobTable(cfg.node(), cgroups, peers, LaunchCommand.LAUNCHER, inits);
        table.guestLimits(GuestLimits.forNode(ProcFiles.memTotalKb(), BalancerConfig.DEFAULT.usherBelowKb()));
        // outside the appliance (tests, a development run) all this agent keeps goes in one directory under java.io.tmpdir
        Path outside = appliance ? null : Files.createTempDirectory("mosvm-agent");
        // a job of this home running elsewhere attaches again with no caller (it went with the previous agent)
        table.deliverCallerlessTo(appliance ? GuestLayout.CALLERLESS_OUTPUT : Files.createDirectories(outside.resolve("output")));
        table.keepRecords(new JobRecords(appliance ? GuestLayout.JOBS_DIR : Files.createDirectories(outside.resolve("jobs"))));
        Path images = appliance ? ImageScratch.mount(GuestLayout.MIGRATION_IMAGES) : Files.createDirectories(outside.resolve("images"));
        Migrations migrations = new Migrations(table, images, GuestLayout.IMAGE_VERSION);
        table.speed(speed.get());
        BalanceLoop balance = new BalanceLoop(cfg.node(), table, migrations, pool::members, speed::get, BalancerConfig.DEFAULT,
                appliance ? BalanceLoop.OFF_MARKER : Files.createDirectories(outside.resolve("balance")).resolve("off"));
        migrations.admission(balance);
        Path checkpointsOutside = appliance ? null : Files.createDirectories(outside.resolve("checkpoints"));
        Function<String, CheckpointStore> storeOfHome = home -> new CheckpointStore(appliance ? GuestLayout.checkpointsOf(home)
                : checkpointsOutside.resolve(home).resolve(GuestLayout.CHECKPOINTS_DIR_NAME), Checkpointer.SEAL_KEY, Clock.systemUTC());
        // this node folds its own jobs' checkpoints, on its own disk, whichever node runs them
        CompactRequests compactions = new CompactRequests(cfg.node(), peers, new HomeFolds(cfg.node(), storeOfHome.apply(cfg.node())));
        // and seals the checkpoints its jobs' runners write here, with its own disk and CPU
        SealRequests seals = new SealRequests(cfg.node(), peers, () -> storeOfHome.apply(cfg.node()), table::runnerOf, Checkpointer.SEAL_KEY);
        table.checkpoints(new Checkpointer(table, storeOfHome, images, compactions, seals, Clock.systemUTC()));
        // a previous agent's jobs, before anyone is served: adopted if their supervisors still run, else ended (their homes recover them)
        table.stopReadingOnShutdown();
        new Orphans(cgroups, inits).reap(Set.copyOf(Adoption.adoptAll(table)));
        // after adoption: the images an adopted job's memory still arrives from stay
        List<String> unfinished = ImageScratch.clearUnfinished(images, table.memoryArrivingFrom());
        if (!unfinished.isEmpty()) LOG.warning("images of moves the previous agent left unfinished removed: " + String.join(", ", unfinished));
        JobServer jobs = new JobServer(s.jobsSocket(), table, migrations, balance);
        new PeerServer(s.peerPort(), peers, table, migrations, compactions, seals);
        if (appliance) {
            new HomeShares(cfg.node(), pool::members);
            table.homeTrees(GuestLayout.HOMES_ROOT);
        }
        facts.countJobsWith(table::count, table::workDone); // gossiped with the load: mon, nodes and the balancers read it
        server.jobs(balance, new RecentMoves(peers, migrations.log()), jobs.poolJobs());
        balance.start();
        // an idle node measures its speed again: a boot beside other booting VMs reads low
        speed.remeasureWhileIdle(NodeSpeed.PERIOD_MILLIS, s.speedBudgetMs(), () -> table.count() == 0 && idleCpus(), SpeedBenchmark::measure, table::speed);
    }

    /**
     * Nothing else is using the CPU now (so a reading is not another process's share): under a
     * tenth busy over one second. The agent's own gossip and monitors stay well below that.
     */
    private static boolean idleCpus() {
        try {
            long[] a = ProcFiles.parseCpuTicks(ProcFiles.read("/proc/stat"));
            Thread.sleep(1000);
            long[] b = ProcFiles.parseCpuTicks(ProcFiles.read("/proc/stat"));
            return b[1] > a[1] && (b[0] - a[0]) < 0.1 * (b[1] - a[1]);
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Seconds since boot, for the milestones in the log (the serial console shows them). */
    static String uptime() {
        try {
            return String.valueOf(ProcFiles.parseUptime(ProcFiles.read("/proc/uptime")));
        } catch (Exception e) {
            return "?";
        }
    }
}

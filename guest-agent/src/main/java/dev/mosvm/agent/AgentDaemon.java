package dev.mosvm.agent;

import dev.mosvm.agent.jobs.JobServer;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
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
        GuestConfig cfg = GuestConfigSource.load(s.config(), 30_000);
        LOG.info("configuration loaded at " + uptime() + " s of uptime");
        double speed = SpeedBenchmark.measure(s.speedBudgetMs());
        LOG.info("speed " + speed + " measured by " + uptime() + " s");
        FactsCollector facts = new FactsCollector(cfg.node(), speed);
        PoolController pool = PoolController.start(s.pool(), facts);
        AgentServer server = new AgentServer(cfg, s.port(), facts, new PowerControl(s.powerOff()), pool);
        server.start();
        if (s.jobsSocket() != null && !s.selfTest()) {
            JobServer jobs = new JobServer(s.jobsSocket(), java.nio.file.Files.isDirectory(AgentSettings.JOBS_CGROUP.getParent())
                    ? AgentSettings.JOBS_CGROUP : null, cfg.node());
            facts.countJobsWith(jobs::count); // gossiped with the load: mon and nodes show it
        }
        facts.markReady();
        // Start-up garbage (benchmark, TLS and JSON set-up) is most of the heap; collect it
        // once so the heap shrinks (MaxHeapFreeRatio in agent-jvm.options).
        System.gc();
        LOG.info("node " + cfg.node() + " speed " + speed + " listening on :" + server.port());
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

    /** Seconds since boot, for the milestones in the log (the serial console shows them). */
    static String uptime() {
        try {
            return String.valueOf(ProcFiles.parseUptime(ProcFiles.read("/proc/uptime")));
        } catch (Exception e) {
            return "?";
        }
    }
}

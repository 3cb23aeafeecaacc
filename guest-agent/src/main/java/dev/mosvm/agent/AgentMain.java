package dev.mosvm.agent;

import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of the guest agent daemon ({@code mosvm-agent serve}). */
@Command(name = "mosvm-agent", mixinStandardHelpOptions = true,
        versionProvider = AgentMain.Version.class,
        description = "The mosvm guest agent: reports this node's facts to the host.",
        subcommands = {AgentMain.Serve.class, CommandLine.HelpCommand.class})
public final class AgentMain {
    static {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s %3$s: %5$s%6$s%n");
    }

    private static final Logger LOG = Logger.getLogger(AgentMain.class.getName());

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the agent daemon.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", description = "Guest configuration JSON (default: the fw_cfg entry ${sys:line.separator}  "
                + AgentProtocol.FW_CFG_GUEST_PATH + ").")
        Path config;

        @Option(names = "--port", defaultValue = "" + AgentProtocol.PORT, description = "HTTPS port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--speed-budget-ms", defaultValue = "400", description = "Time for the speed benchmark (default: ${DEFAULT-VALUE}).")
        long speedBudget;

        @Option(names = "--poweroff-command", split = " ", defaultValue = "systemctl poweroff",
                description = "Command run on a shutdown request (default: ${DEFAULT-VALUE}).")
        List<String> powerOff;

        @Override
        public Integer call() throws Exception {
            GuestConfig cfg = GuestConfigSource.load(config, 30_000);
            double speed = SpeedBenchmark.measure(speedBudget);
            FactsCollector facts = new FactsCollector(cfg.node(), speed);
            AgentServer server = new AgentServer(cfg, port, facts, new PowerControl(powerOff));
            server.start();
            facts.markReady();
            // Start-up garbage (benchmark, TLS and JSON set-up) is most of the heap; collect it
            // once so the heap shrinks (MaxHeapFreeRatio in the unit) and the idle agent stays small.
            System.gc();
            LOG.info("node " + cfg.node() + " speed " + speed + " listening on :" + server.port());
            // The console line lets the host (and a human reading serial.log) see readiness.
            System.out.println(AgentProtocol.READY_LINE + " node=" + cfg.node() + " at " + facts.readyAt() + "s");
            Thread.currentThread().join();
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AgentMain.class.getPackage().getImplementationVersion();
            return new String[] {"mosvm-agent " + (v == null ? "dev" : v)};
        }
    }
}

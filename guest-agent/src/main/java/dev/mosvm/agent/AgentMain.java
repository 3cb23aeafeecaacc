package dev.mosvm.agent;

import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.api.AgentProtocol;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of the guest agent daemon ({@code mosvm-agent serve}). */
@Command(name = "mosvm-agent", mixinStandardHelpOptions = true,
        versionProvider = AgentMain.Version.class,
        description = "The mosvm guest agent: reports this node's facts to the host.",
        subcommands = {AgentMain.Serve.class, CommandLine.HelpCommand.class})
public final class AgentMain {
    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the agent daemon (the appliance starts it as dev.mosvm.agent.AgentDaemon).")
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

        @Option(names = "--self-test", description = "Start, make one authenticated and one unauthenticated request, "
                + "report and exit (the image build runs this in the new root filesystem).")
        boolean selfTest;

        @Option(names = "--pool", description = "Pool membership JSON (default: the appliance's, GuestLayout.POOL_STATE, if present).")
        Path pool;

        @Option(names = "--jobs-socket", description = "Unix socket for mosrun (default: none when run by hand; "
                + "the appliance's daemon uses GuestLayout.JOBS_SOCKET).")
        Path jobsSocket;

        @Option(names = "--peer-port", defaultValue = "" + PeerDirectory.PORT,
                description = "TCP port of the peer service, on this node and its peers (default: ${DEFAULT-VALUE}).")
        int peerPort;

        @Override
        public Integer call() throws Exception {
            return AgentDaemon.run(new AgentSettings(config, port, speedBudget, powerOff, selfTest,
                    pool == null ? GuestLayout.POOL_STATE : pool, jobsSocket, peerPort));
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

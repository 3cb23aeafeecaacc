package dev.mosvm.agent.cli;

import dev.mosvm.api.AgentException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * `mosvm` inside an appliance (/usr/local/bin/mosvm): the pool as this node's agent sees it.
 * The same views as the host's `mosvm nodes` and `mosvm mon`, from the shared pool-console.
 */
@Command(name = "mosvm", mixinStandardHelpOptions = true, versionProvider = GuestCli.Version.class,
        description = "mosvm inside an appliance: the pool this node belongs to.",
        subcommands = {GuestNodesCommand.class, GuestMonCommand.class, GuestBalanceCommand.class, CommandLine.HelpCommand.class})
public final class GuestCli implements Runnable {
    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT, hidden = true,
            description = "Guest configuration (default: the fw_cfg entry from mosvm up).")
    Path config;

    @Option(names = "--agent-port", paramLabel = "PORT", scope = ScopeType.INHERIT, hidden = true, defaultValue = "7443",
            description = "The agent's HTTPS port (tests run several agents on one machine).")
    int agentPort;

    dev.mosvm.api.AgentClient agent() throws Exception {
        return LocalAgent.connect(config, agentPort);
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new GuestCli());
        // one line, not a stack trace: the agent is down, or this is not root
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            String msg = e instanceof AgentException ? "cannot reach this appliance's agent: " + e.getMessage() : e.getMessage();
            line.getErr().println("mosvm: " + msg);
            return e instanceof AgentException ? 1 : 4;
        });
        System.exit(cl.execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = GuestCli.class.getPackage().getImplementationVersion();
            return new String[] {"mosvm (in-guest) " + (v == null ? "dev" : v)};
        }
    }
}

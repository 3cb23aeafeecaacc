package dev.mosvm.agent.cli;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.CliErrors;
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
        System.exit(commandLine(new GuestCli()).execute(args));
    }

    /**
     * An in-guest command line (mosvm, mosps, migrate) that reports failures as the host's
     * does: one line, not a stack trace (the agent is down, or this is not root), and the
     * shared exit statuses.
     */
    static CommandLine commandLine(Object command) {
        return CliErrors.install(new CommandLine(command), GuestCli::explain);
    }

    static CliErrors.Explanation explain(Exception e) {
        return e instanceof AgentException ? new CliErrors.Explanation("cannot reach this appliance's agent: " + e.getMessage(), null)
                : CliErrors.plain(e);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = GuestCli.class.getPackage().getImplementationVersion();
            return new String[] {"mosvm (in-guest) " + (v == null ? "dev" : v)};
        }
    }
}

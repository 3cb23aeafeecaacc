package dev.mosvm.manager.cli;

import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolView;
import dev.mosvm.api.RemoveResponse;
import dev.mosvm.console.NodesTable;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.pool.JoinToken;
import dev.mosvm.manager.pool.PoolService;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `mosvm pool init`, `mosvm pool remove`, `mosvm join`, `mosvm leave`. */
final class PoolCommands {
    private PoolCommands() {}

    @Command(name = "pool", mixinStandardHelpOptions = true, description = "Create a pool, or remove a node from it.",
            subcommands = {Init.class, Remove.class})
    static final class Pool implements Runnable {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Found a pool with the local appliance as its first node; prints the join token.")
    static final class Init implements Callable<Integer> {
        @ParentCommand Pool pool;
        @Spec CommandSpec spec;

        @Mixin InstanceOption instance;

        @Option(names = "--name", paramLabel = "POOL", defaultValue = "pool", description = "Pool name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--token-ttl", paramLabel = "HOURS", defaultValue = "24", description = "Token lifetime (default: ${DEFAULT-VALUE} h).")
        long ttlHours;

        @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "1000",
                description = "Gossip interval for the whole pool, 100-60000 ms (default: ${DEFAULT-VALUE}).")
        long intervalMillis;

        @Option(names = "--window", paramLabel = "N", defaultValue = "64",
                description = "Entries per gossip message, 1-1024 (default: ${DEFAULT-VALUE}); larger keeps big pools fresher.")
        int window;

        /** How migrating jobs' memory crosses the network. */
        enum PageStreams { sealed, plain }

        @Option(names = "--page-streams", paramLabel = "sealed|plain", defaultValue = "sealed",
                description = {"How migrations send a job's memory: sealed (ChaCha20-Poly1305, the default) or plain (no cipher: "
                        + "for a pool on one machine or a network it trusts; several times faster under TCG)."})
        PageStreams pageStreams;

        @Override
        public Integer call() throws Exception {
            String bad = window == 0 ? "invalid --window 0: use 1 to " + PoolInitRequest.MAX_WINDOW
                    : PoolInitRequest.checkTunables(intervalMillis, window);
            if (bad != null) throw MosvmException.invalid(bad);
            if (ttlHours < 1) throw MosvmException.invalid("invalid --token-ttl " + ttlHours + ": at least 1 hour");
            try (Hypervisor hv = pool.root.connect()) {
                String[] r = new PoolService(pool.root.agents(hv)).init(instance.name, name, Duration.ofHours(ttlHours),
                        intervalMillis, window, pageStreams == PageStreams.plain);
                PrintWriter out = spec.commandLine().getOut();
                out.println("pool '" + name + "' founded on " + instance.name + " (" + r[1] + ")"
                        + (pageStreams == PageStreams.plain ? "; migrations send pages unsealed" : ""));
                out.println("join token (valid " + ttlHours + " h): " + r[0]);
                out.println("on another appliance's workstation: mosvm join " + r[1] + " --token " + r[0]);
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Expel NODE from the pool (run on the founder's workstation).",
                    "The other members are handed a new pool key that NODE never gets, so its credentials stop working."})
    static final class Remove implements Callable<Integer> {
        @ParentCommand Pool pool;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NODE", description = "Name of the node, as `mosvm nodes` shows it.")
        String node;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            try (Hypervisor hv = pool.root.connect()) {
                RemoveResponse r = new PoolService(pool.root.agents(hv)).remove(instance.name, node);
                PrintWriter out = spec.commandLine().getOut();
                out.println("removed " + r.removed() + " from pool '" + r.pool() + "'; " + r.members()
                        + " member(s) are being handed gossip key " + r.keyId() + " (members that are down get it when they return)");
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = "Put the local appliance into the pool that ADDRESS (an appliance in it) belongs to.")
    static final class Join implements Callable<Integer> {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "Address of an appliance in the pool.")
        String address;

        @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "Join token from `mosvm pool init`.")
        String token;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            JoinToken t = JoinToken.parse(token);
            try (Hypervisor hv = root.connect()) {
                PoolView v = new PoolService(root.agents(hv)).join(instance.name, address, t, Duration.ofSeconds(30));
                PrintWriter out = spec.commandLine().getOut();
                NodesTable.print(out, v);
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "leave", mixinStandardHelpOptions = true, description = "Take the local appliance out of its pool.")
    static final class Leave implements Callable<Integer> {
        @ParentCommand MosvmCommand root;
        @Spec CommandSpec spec;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            try (Hypervisor hv = root.connect()) {
                spec.commandLine().getOut().println(new PoolService(root.agents(hv)).leave(instance.name));
                spec.commandLine().getOut().flush();
            }
            return 0;
        }
    }
}

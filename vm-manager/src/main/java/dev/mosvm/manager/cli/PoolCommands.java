package dev.mosvm.manager.cli;

import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.AdmittersRequest;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.JoinTokenList;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolView;
import dev.mosvm.api.RemoveResponse;
import dev.mosvm.console.NodesTable;
import dev.mosvm.manager.network.HostPort;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.pool.JoinToken;
import dev.mosvm.manager.pool.PoolService;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `mosvm pool init`, `mosvm pool token`, `mosvm pool admitters`, `mosvm pool remove`, `mosvm join`, `mosvm leave`. */
final class PoolCommands {
    private PoolCommands() {}

    @Command(name = "pool", mixinStandardHelpOptions = true, description = "Create a pool, issue its join tokens, name its admitters, or remove a node from it.",
            subcommands = {Init.class, Token.class, Remove.class, Admitters.class})
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

        @Option(names = "--token-uses", paramLabel = "N", defaultValue = "1",
                description = "How many nodes the token admits (default: ${DEFAULT-VALUE}); more with mosvm pool token create.")
        int uses;

        @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "1000",
                description = "Gossip interval for the whole pool, 100-60000 ms (default: ${DEFAULT-VALUE}).")
        long intervalMillis;

        @Option(names = "--window", paramLabel = "N", defaultValue = "64",
                description = "Entries per gossip message, 1-1024 (default: ${DEFAULT-VALUE}); larger keeps big pools fresher.")
        int window;

        /** How migrating jobs' memory crosses the network. */
        enum PageStreams { sealed, plain }

        @Option(names = "--page-streams", paramLabel = "sealed|plain",
                description = {"How migrations send a job's memory: sealed (ChaCha20-Poly1305) or plain (no cipher of mosvm's own: "
                        + "for a pool on one machine or a network it trusts; several times faster under TCG).",
                        "Default: plain over the WireGuard overlay (which seals every packet already), else sealed."})
        PageStreams pageStreams;

        /** How appliances reach each other. */
        enum Overlay { wireguard, plain }

        @Option(names = "--overlay", paramLabel = "wireguard|plain",
                description = {"How the pool's appliances reach each other: wireguard (an encrypted WireGuard overlay, across workstations "
                        + "and NATs) or plain (their own network: libvirt's, one machine or a bridged LAN).",
                        "Default: wireguard for an appliance under the qemu driver (which needs it), else plain."})
        Overlay overlay;

        @Override
        public Integer call() throws Exception {
            String bad = window == 0 ? "invalid --window 0: use 1 to " + PoolInitRequest.MAX_WINDOW
                    : PoolInitRequest.checkTunables(intervalMillis, window);
            if (bad != null) throw MosvmException.invalid(bad);
            checkToken(uses, ttlHours);
            try (Hypervisor hv = pool.root.connect()) {
                PoolService.Founded r = new PoolService(pool.root.agents(hv)).init(instance.name, name, Duration.ofHours(ttlHours), uses,
                        intervalMillis, window, pageStreams == null ? null : pageStreams == PageStreams.plain, overlay == null ? null : overlay.name());
                PrintWriter out = spec.commandLine().getOut();
                out.println("pool '" + name + "' founded on " + instance.name + " (" + r.joinAddress() + ")"
                        + (r.overlay().equals(PoolInitRequest.OVERLAY_WIREGUARD)
                                ? " over a WireGuard overlay" + (r.plainPageStreams() ? ", which seals migrations' pages too" : "")
                                : r.plainPageStreams() ? "; migrations send pages unsealed" : ""));
                out.println("join token (valid " + ttlHours + " h, admits " + uses + " node" + (uses == 1 ? "" : "s") + "): " + r.token());
                out.println("on another appliance's workstation: mosvm join " + r.joinAddress() + " --token " + r.token());
                out.flush();
            }
            return 0;
        }
    }

    static void checkToken(int uses, long ttlHours) {
        if (uses < 1 || uses > JoinTokenRequest.MAX_USES) throw MosvmException.invalid("invalid --token-uses " + uses + ": use 1 to " + JoinTokenRequest.MAX_USES);
        if (ttlHours < 1 || ttlHours * 3600 > JoinTokenRequest.MAX_TTL_SECONDS) {
            throw MosvmException.invalid("invalid --token-ttl " + ttlHours + ": use 1 to " + JoinTokenRequest.MAX_TTL_SECONDS / 3600 + " hours");
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"On the founder's or an admitter's workstation: issue a join token (create), list the live ones, or revoke one.",
                    "A token admits as many nodes as --uses says, until it expires; the founder keeps only its hash, by id."})
    static final class Token implements Callable<Integer> {
        @ParentCommand Pool pool;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "create|list|revoke", description = "What to do.")
        String action;

        @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "The token to revoke, as list shows it.")
        String id;

        @Option(names = "--uses", paramLabel = "N", defaultValue = "1", description = "create: how many nodes it admits (default: ${DEFAULT-VALUE}).")
        int uses;

        @Option(names = "--ttl", paramLabel = "HOURS", defaultValue = "24", description = "create: its lifetime (default: ${DEFAULT-VALUE} h).")
        long ttlHours;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            JoinTokenRequest req = switch (action) {
                case "create" -> {
                    checkToken(uses, ttlHours);
                    yield JoinTokenRequest.create(uses, ttlHours * 3600);
                }
                case "list" -> JoinTokenRequest.list();
                case "revoke" -> {
                    if (id == null || !id.matches("[0-9a-f]{12}")) throw MosvmException.invalid("revoke needs a token id as list shows it (12 hex digits)");
                    yield JoinTokenRequest.revoke(id);
                }
                default -> throw MosvmException.invalid("invalid token action '" + action + "': use create, list or revoke");
            };
            try (Hypervisor hv = pool.root.connect()) {
                PoolService svc = new PoolService(pool.root.agents(hv));
                JoinTokenList r = svc.tokens(instance.name, req);
                PrintWriter out = spec.commandLine().getOut();
                if (r.issued() != null) {
                    out.println("join token (valid " + ttlHours + " h, admits " + uses + " node" + (uses == 1 ? "" : "s") + "): " + r.issued());
                    out.println("on another appliance's workstation: mosvm join " + svc.joinAddress(instance.name) + " --token " + r.issued());
                } else if (action.equals("revoke")) {
                    out.println("revoked join token " + id);
                } else {
                    out.printf(Locale.ROOT, "%-12s  %-20s  %s%n", "ID", "EXPIRES (UTC)", "USES LEFT");
                    for (JoinTokenList.Token t : r.tokens()) {
                        out.printf(Locale.ROOT, "%-12s  %-20s  %d%n", t.id(),
                                Instant.ofEpochSecond(t.expiresAt()).truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' ').replace("Z", ""), t.usesLeft());
                    }
                }
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Expel NODE from the pool (run on the founder's or an admitter's workstation).",
                    "The other members are handed a new pool key that NODE never gets, so its credentials stop working.",
                    "An admitter tells every member it reaches at once; the founder hands out the new key when it has heard."})
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
                if (r.keyId() == 0) {
                    out.println("removed " + r.removed() + " from pool '" + r.pool() + "'; " + r.members() + " member(s) told so far"
                            + (r.founderPending() == null ? ", the founder among them: it hands the others a new gossip key"
                            : "; the founder, " + r.founderPending() + ", is not reachable: it hands out a new gossip key when it is back (this appliance keeps telling it)"));
                } else {
                    out.println("removed " + r.removed() + " from pool '" + r.pool() + "'; " + r.members()
                            + " member(s) are being handed gossip key " + r.keyId() + " (members that are down get it when they return)");
                }
                if (!r.revokedTokens().isEmpty()) out.println("revoked the join token(s) it came with: " + String.join(", ", r.revokedTokens()));
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "admitters", mixinStandardHelpOptions = true,
            description = {"On the founder's workstation: name a member an admitter (add), withdraw its grant (remove), or list them.",
                    "An admitter issues join tokens, admits and removes members while the founder is off; the member must be up to be named."})
    static final class Admitters implements Callable<Integer> {
        @ParentCommand Pool pool;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "add|remove|list", description = "What to do.")
        String action;

        @Parameters(index = "1", arity = "0..1", paramLabel = "NODE", description = "The member, as `mosvm nodes` shows it.")
        String node;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            AdmittersRequest req = switch (action) {
                case "add", "remove" -> {
                    if (node == null || !node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                        throw MosvmException.invalid(action + " needs a member's name, as `mosvm nodes` shows it");
                    }
                    yield action.equals("add") ? AdmittersRequest.add(node) : AdmittersRequest.remove(node);
                }
                case "list" -> AdmittersRequest.list();
                default -> throw MosvmException.invalid("invalid admitters action '" + action + "': use add, remove or list");
            };
            try (Hypervisor hv = pool.root.connect()) {
                AdmittersList r = new PoolService(pool.root.agents(hv)).admitters(instance.name, req);
                PrintWriter out = spec.commandLine().getOut();
                switch (action) {
                    case "add" -> out.println(node + " is admitter " + r.admitters().stream().filter(a -> a.node().equals(node))
                            .mapToInt(AdmittersList.Admitter::number).findFirst().orElse(0) + " of pool '" + r.pool()
                            + "': on its workstation, `mosvm pool token create` issues tokens that join through it");
                    case "remove" -> out.println(node + " no longer admits to pool '" + r.pool() + "'; the tokens it issued are void");
                    default -> {
                        out.printf(Locale.ROOT, "%-24s  %s%n", "ADMITTER", "NUMBER");
                        for (AdmittersList.Admitter a : r.admitters()) out.printf(Locale.ROOT, "%-24s  %d%n", a.node(), a.number());
                    }
                }
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

        @Parameters(index = "0", paramLabel = "ADDRESS[:PORT]",
                description = {"Where an appliance in the pool is reached, as `pool init` printed it: a host name or IPv4 address, "
                        + "and the port its agent is forwarded to (default " + AgentProtocol.PORT + ")."})
        String address;

        @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "Join token from `mosvm pool init`.")
        String token;

        @Mixin InstanceOption instance;

        @Override
        public Integer call() throws Exception {
            HostPort at = joinAddress(address);
            JoinToken t = JoinToken.parse(token);
            try (Hypervisor hv = root.connect()) {
                PoolView v = new PoolService(root.agents(hv)).join(instance.name, at, t, Duration.ofSeconds(30));
                PrintWriter out = spec.commandLine().getOut();
                NodesTable.print(out, v);
                out.flush();
            }
            return 0;
        }
    }

    /** {@code join}'s ADDRESS[:PORT], checked (exit 2 on bad input). */
    static HostPort joinAddress(String address) {
        try {
            return HostPort.parse(address, AgentProtocol.PORT);
        } catch (IllegalArgumentException e) {
            throw MosvmException.invalid("invalid address '" + address + "': " + e.getMessage()
                    + "; use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)");
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

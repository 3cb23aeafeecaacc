package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import java.io.IOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The overlay in an appliance: the kernel's WireGuard interface {@value #INTERFACE}, driven
 * with {@code ip} and {@code wg} (JDK 17 has no netlink socket, and {@code wg set} changes one
 * peer without disturbing the others' sessions). Peers keep a NAT's mapping open with a
 * keepalive every {@value #KEEPALIVE_SECONDS} s, which is also what lets a member behind a
 * NAT nobody can dial be reached.
 */
public final class WireGuardDevice implements OverlayDevice {
    private static final Logger LOG = Logger.getLogger(WireGuardDevice.class.getName());
    public static final String INTERFACE = "mosvm0";
    static final int KEEPALIVE_SECONDS = 25;
    /** 1500 less WireGuard's largest overhead (IPv6 outer header). */
    static final int MTU = 1420;

    private final WireGuardKeys keys;
    private final int listenPort;
    private final Endpoint endpoint;
    private final java.util.function.Supplier<String> ownAddress;
    private volatile Endpoint ownEndpoint;
    private final OverlayPlan plan = new OverlayPlan();

    /**
     * @param listenPort the guest's WireGuard port: under the qemu driver, the forward's guest port,
     *                   so its packets leave through the forward and peers see the advertised endpoint
     * @param endpoint   where others reach that port, as the host said; null: at {@code ownAddress}
     *                   and {@code listenPort} (an appliance on a network where peers reach it directly),
     *                   asked each time, since the network may not be up when the agent starts
     */
    public WireGuardDevice(WireGuardKeys keys, int listenPort, Endpoint endpoint, java.util.function.Supplier<String> ownAddress) {
        this.ownAddress = ownAddress;
        this.keys = keys;
        this.listenPort = listenPort;
        this.endpoint = endpoint;
    }

    @Override
    public String publicKey() {
        return keys.publicKeyBase64();
    }

    @Override
    public Endpoint endpoint() {
        if (endpoint != null) return endpoint;
        Endpoint found = ownEndpoint;
        if (found != null) return found; // asked every gossip interval: the interfaces are listed once there is an address
        String own = ownAddress.get();
        return own == null ? null : (ownEndpoint = new Endpoint(own, listenPort));
    }

    @Override
    public synchronized void up(Inet4Address address) throws IOException {
        if (!run(List.of("ip", "link", "show", "dev", INTERFACE), true)) {
            run(List.of("modprobe", "wireguard"), true); // built into some kernels: its failure is the next step's
            run(List.of("ip", "link", "add", "dev", INTERFACE, "type", "wireguard"), false);
        }
        run(List.of("wg", "set", INTERFACE, "listen-port", String.valueOf(listenPort), "private-key", keys.privateKeyFile().toString()), false);
        run(List.of("ip", "address", "flush", "dev", INTERFACE), false);
        run(List.of("ip", "address", "add", address.getHostAddress() + "/" + OverlayAddresses.PREFIX, "dev", INTERFACE), false);
        run(List.of("ip", "link", "set", "dev", INTERFACE, "mtu", String.valueOf(MTU), "up"), false);
        relayWithinTheOverlay();
        LOG.info("overlay " + INTERFACE + " up as " + address.getHostAddress() + " on udp/" + listenPort + ", reached at " + endpoint());
    }

    @Override
    public synchronized void peers(Collection<OverlayPeer> members) throws IOException {
        for (OverlayPlan.Change c : plan.plan(members, status(), System.currentTimeMillis() / 1000)) {
            if (c instanceof OverlayPlan.Put p) {
                    List<String> cmd = new ArrayList<>(List.of("wg", "set", INTERFACE, "peer", p.peer().key()));
                    if (p.endpoint() != null) cmd.addAll(List.of("endpoint", p.endpoint().toString()));
                    cmd.addAll(List.of("allowed-ips", String.join(",", p.peer().allowedIps()),
                            "persistent-keepalive", String.valueOf(KEEPALIVE_SECONDS)));
                    if (run(cmd, true)) {
                        plan.applied(p);
                        LOG.info("overlay peer " + p.peer().node() + " at " + p.peer().address().getHostAddress()
                                + (p.endpoint() != null ? " via " + p.endpoint() : "")
                                + (p.peer().relayed().isEmpty() ? "" : ", relaying " + p.peer().relayed().stream().map(Inet4Address::getHostAddress).toList()));
                    } else if (p.endpoint() != null) {
                        // a name that does not resolve (yet): the peer without it, reached when it calls
                        run(List.of("wg", "set", INTERFACE, "peer", p.peer().key(), "allowed-ips", String.join(",", p.peer().allowedIps()),
                                "persistent-keepalive", String.valueOf(KEEPALIVE_SECONDS)), false);
                        LOG.warning("overlay peer " + p.peer().node() + ": its endpoint " + p.endpoint() + " does not resolve; waiting for it to call");
                    }
            } else if (c instanceof OverlayPlan.Remove r) {
                run(List.of("wg", "set", INTERFACE, "peer", r.key(), "remove"), false);
                LOG.info("overlay peer " + r.key() + " removed");
            }
        }
    }

    @Override
    public synchronized void down() throws IOException {
        run(List.of("ip", "rule", "del", "iif", INTERFACE, "lookup", RELAY_TABLE), true);
        run(List.of("ip", "route", "flush", "table", RELAY_TABLE), true);
        if (run(List.of("ip", "link", "show", "dev", INTERFACE), true)) run(List.of("ip", "link", "del", "dev", INTERFACE), false);
    }

    /** The routing table that packets arriving on the overlay are routed by: other members' addresses, and nothing else. */
    static final String RELAY_TABLE = "77";

    /**
     * Any member may relay between two that nothing reaches from outside (each has the relay's
     * peer carry the other's address): a packet that arrives on the overlay for another member
     * goes back out on it. Policy routing keeps it there: such a packet is routed by a table with
     * the overlay's subnet and an unreachable default, so no member can use this appliance as a
     * gateway into its workstation's network. Its own addresses are delivered first (the local table).
     */
    private static void relayWithinTheOverlay() throws IOException {
        run(List.of("ip", "rule", "del", "iif", INTERFACE, "lookup", RELAY_TABLE), true); // left by a restart
        run(List.of("ip", "route", "flush", "table", RELAY_TABLE), true);
        run(List.of("ip", "route", "add", OverlayAddresses.subnet(), "dev", INTERFACE, "table", RELAY_TABLE), false);
        run(List.of("ip", "route", "add", "unreachable", "default", "table", RELAY_TABLE), false);
        run(List.of("ip", "rule", "add", "iif", INTERFACE, "lookup", RELAY_TABLE, "priority", RELAY_TABLE), false);
        java.nio.file.Path conf = java.nio.file.Path.of("/proc/sys/net/ipv4/conf", INTERFACE);
        java.nio.file.Files.writeString(conf.resolve("forwarding"), "1"); // packets arriving here only (the per-interface switch)
        // WireGuard routes by peer, so a redirect means nothing; the kernel sends them if "all" says so too
        // (no other interface forwards, so none would send one anyway)
        java.nio.file.Files.writeString(conf.resolve("send_redirects"), "0");
        java.nio.file.Files.writeString(conf.resolveSibling("all").resolve("send_redirects"), "0");
    }

    @Override
    public Collection<WgDump.Peer> status() throws IOException {
        Result r = exec(List.of("wg", "show", INTERFACE, "dump"));
        return r.ok() ? WgDump.parse(r.output()) : List.of();
    }

    /** Runs a command; true if it succeeded. A failure the caller cannot do without ({@code quietly} false) throws with its message. */
    private static boolean run(List<String> cmd, boolean quietly) throws IOException {
        Result r = exec(cmd);
        if (r.ok() || quietly) return r.ok();
        throw new IOException(String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + " failed: " + r.output().strip().lines().findFirst().orElse("no output"));
    }

    private record Result(boolean ok, String output) {}

    /**
     * Runs a command with its output in a file, so a command that hangs is ended at the deadline
     * (reading a pipe would wait for it); {@code wg} resolves a peer's host name once, without its
     * default retries (a name that does not resolve is tried again at the next round, not for minutes now).
     */
    private static Result exec(List<String> cmd) throws IOException {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("mosvm-wg", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("WG_ENDPOINT_RESOLUTION_RETRIES", "0");
            Process p = pb.start();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    throw new IOException("timed out: " + String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            return new Result(p.exitValue() == 0, java.nio.file.Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
        }
    }
}

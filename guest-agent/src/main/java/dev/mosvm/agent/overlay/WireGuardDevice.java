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
    private final OverlayPlan plan = new OverlayPlan();

    /**
     * @param listenPort the guest's WireGuard port: under the qemu driver, the forward's guest port,
     *                   so its packets leave through the forward and peers see the advertised endpoint
     * @param endpoint   where others reach that port
     */
    public WireGuardDevice(WireGuardKeys keys, int listenPort, Endpoint endpoint) {
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
        return endpoint;
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
        LOG.info("overlay " + INTERFACE + " up as " + address.getHostAddress() + " on udp/" + listenPort + ", reached at " + endpoint);
    }

    @Override
    public synchronized void peers(Collection<OverlayPeer> members) throws IOException {
        for (OverlayPlan.Change c : plan.plan(members, status(), System.currentTimeMillis() / 1000)) {
            if (c instanceof OverlayPlan.Put p) {
                    List<String> cmd = new ArrayList<>(List.of("wg", "set", INTERFACE, "peer", p.peer().key()));
                    if (p.endpoint() != null) cmd.addAll(List.of("endpoint", p.endpoint().toString()));
                    cmd.addAll(List.of("allowed-ips", p.peer().address().getHostAddress() + "/32",
                            "persistent-keepalive", String.valueOf(KEEPALIVE_SECONDS)));
                    if (run(cmd, true)) {
                        LOG.info("overlay peer " + p.peer().node() + " at " + p.peer().address().getHostAddress()
                                + (p.endpoint() != null ? " via " + p.endpoint() : ""));
                    } else if (p.endpoint() != null) {
                        // a name that does not resolve (yet): the peer without it, reached when it calls
                        run(List.of("wg", "set", INTERFACE, "peer", p.peer().key(), "allowed-ips", p.peer().address().getHostAddress() + "/32",
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
        if (run(List.of("ip", "link", "show", "dev", INTERFACE), true)) run(List.of("ip", "link", "del", "dev", INTERFACE), false);
    }

    @Override
    public Collection<WgDump.Peer> status() throws IOException {
        Process p = new ProcessBuilder("wg", "show", INTERFACE, "dump").redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
        if (!waitFor(p)) return List.of();
        return WgDump.parse(out);
    }

    /** Runs a command; true if it succeeded. A failure the caller cannot do without ({@code quietly} false) throws with its message. */
    private static boolean run(List<String> cmd, boolean quietly) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (waitFor(p)) return true;
        if (quietly) return false;
        throw new IOException(String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + " failed: " + out.lines().findFirst().orElse("exit " + p.exitValue()));
    }

    private static boolean waitFor(Process p) throws IOException {
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + p.info().commandLine().orElse("a command"));
            }
            return p.exitValue() == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}

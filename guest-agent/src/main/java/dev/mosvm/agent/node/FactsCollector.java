package dev.mosvm.agent.node;

import dev.mosvm.agent.guard.ConnectionGate;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.api.AgentFacts;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;

/** Gathers the node's facts: speed from {@link NodeSpeed}, the rest read on every call. */
public final class FactsCollector {
    private final String node;
    private final java.util.function.DoubleSupplier speed;
    private final String agentVersion;
    private final String imageVersion;
    private final double agentStartAt;
    private volatile double agentReadyAt = -1;
    private final double userlandAt = SystemdTimestamps.userspaceStartSeconds();
    private final String identityKey;
    private final String overlayKey;
    private final java.util.function.Supplier<String> overlayEndpoint;

    public FactsCollector(String node, java.util.function.DoubleSupplier speed) throws IOException {
        this(node, speed, null);
    }

    /** @param identityKey the node's public identity key, as facts report it (base64) */
    public FactsCollector(String node, java.util.function.DoubleSupplier speed, String identityKey) throws IOException {
        this(node, speed, identityKey, null, () -> null);
    }

    /**
     * @param overlayKey      the node's WireGuard public key (base64), which a pool with an overlay certifies
     * @param overlayEndpoint where other appliances reach its WireGuard port
     */
    public FactsCollector(String node, java.util.function.DoubleSupplier speed, String identityKey, String overlayKey,
            java.util.function.Supplier<String> overlayEndpoint)
            throws IOException {
        this.identityKey = identityKey;
        this.overlayKey = overlayKey;
        this.overlayEndpoint = overlayEndpoint;
        this.node = node;
        this.speed = speed;
        String v = FactsCollector.class.getPackage().getImplementationVersion();
        this.agentVersion = v == null ? "dev" : v;
        this.imageVersion = readImageVersion();
        this.agentStartAt = ProcFiles.parseStartSeconds(ProcFiles.read("/proc/self/stat"));
    }

    /** How many jobs run here and the work they have done (the job service counts them; 0 until it starts). */
    private volatile java.util.function.IntSupplier jobCount = () -> 0;
    private volatile java.util.function.DoubleSupplier workDone = () -> 0;

    public void countJobsWith(java.util.function.IntSupplier count, java.util.function.DoubleSupplier work) {
        jobCount = count;
        workDone = work;
    }

    public void markReady() throws IOException {
        agentReadyAt = ProcFiles.parseUptime(ProcFiles.read("/proc/uptime"));
    }

    public double readyAt() {
        return agentReadyAt;
    }

    public AgentFacts collect() throws IOException {
        Map<String, Long> mem = ProcFiles.parseMeminfo(ProcFiles.read("/proc/meminfo"));
        String status = ProcFiles.read("/proc/self/status");
        return new AgentFacts(
                node,
                primaryAddress(),
                Runtime.getRuntime().availableProcessors(),
                speed.getAsDouble(),
                mem.getOrDefault("MemTotal", -1L),
                mem.getOrDefault("MemAvailable", -1L),
                ProcFiles.parseLoadavg(ProcFiles.read("/proc/loadavg")),
                agentVersion,
                imageVersion,
                System.getProperty("os.version"),
                ProcFiles.parseUptime(ProcFiles.read("/proc/uptime")),
                new AgentFacts.BootTimings(userlandAt, agentStartAt, agentReadyAt),
                ProcFiles.parseRssKb(status),
                ProcFiles.parseCpuSeconds(ProcFiles.read("/proc/self/stat")),
                new AgentFacts.Serving((int) ProcFiles.parseThreads(status), ConnectionGate.allRefused(), Supervised.allRestarts()),
                identityKey,
                overlayKey,
                overlayEndpoint.get());
    }

    /**
     * What the gossip carries every interval: just load and free memory are read (two small
     * /proc files), not the full facts (interfaces, process status), to keep the idle agent's
     * CPU share small.
     */
    public dev.mosvm.api.NodeInfo loadVector(String id, String address, int port) throws IOException {
        long avail = ProcFiles.parseMeminfo(ProcFiles.read("/proc/meminfo")).getOrDefault("MemAvailable", -1L);
        double load = ProcFiles.parseLoadavg(ProcFiles.read("/proc/loadavg"))[0];
        return new dev.mosvm.api.NodeInfo(id, address, port, Runtime.getRuntime().availableProcessors(), speed.getAsDouble(), load, avail,
                jobCount.getAsInt(), workDone.getAsDouble());
    }

    /** The first non-loopback IPv4 address that is not the pool overlay's: the one the host reaches. */
    public static String primaryAddress() {
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback() || nif.getName().equals(dev.mosvm.agent.overlay.WireGuardDevice.INTERFACE)) continue;
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) return a.getHostAddress();
                }
            }
        } catch (SocketException e) {
            // fall through: no address yet
        }
        return null;
    }

    private static String readImageVersion() {
        Path p = GuestLayout.IMAGE_VERSION;
        try {
            return Files.isReadable(p) ? Files.readString(p).strip() : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }
}

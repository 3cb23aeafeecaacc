package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What a node's agent reports about itself. Memory in KiB, speed relative to the
 * reference machine (1.0 = the calibration loop's reference rate, see the agent's
 * SpeedBenchmark), times in seconds of guest uptime; agentCpuSeconds is the agent's own
 * CPU time (user + system) since it started, so two readings give its CPU share. {@code serving}
 * says how the agent holds up under load and abuse (null from agents older than it).
 * {@code identityKey} is the public half of the node's own key pair (base64 of the raw Ed25519
 * key), which a pool certifies when the node joins. {@code overlayKey} is the public half of its
 * WireGuard key (base64, as {@code wg} prints it), which a pool whose overlay is on certifies
 * with it, and {@code overlayEndpoint} where other appliances reach that WireGuard port
 * ("HOST:PORT").
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentFacts(
        String node,
        String address,
        int cpus,
        double speed,
        long memTotalKb,
        long memAvailableKb,
        double[] loadAverage,
        String agentVersion,
        String imageVersion,
        String kernel,
        double uptimeSeconds,
        BootTimings boot,
        long agentRssKb,
        double agentCpuSeconds,
        Serving serving,
        String identityKey,
        String overlayKey,
        String overlayEndpoint) {

    /** Guest-side milestones in seconds since the kernel started. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BootTimings(double userlandAt, double agentStartAt, double agentReadyAt) {}

    /**
     * The agent's threads now; connections it refused since it started for being over one of its
     * bounds (too many at once, from one address or user, or overall); and how often its
     * periodic tasks and loops failed and were restarted.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Serving(int threads, long refusedConnections, long restartedTasks) {}
}

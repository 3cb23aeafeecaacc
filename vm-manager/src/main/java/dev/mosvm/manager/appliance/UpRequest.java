package dev.mosvm.manager.appliance;

import dev.mosvm.manager.network.HostPort;
import dev.mosvm.manager.MosvmException;
import java.time.Duration;

/**
 * Options of `mosvm up`; null fields keep an existing instance's settings or the defaults.
 * {@code endpoint}: "HOST:PORT" to tell other workstations' appliances for this one's WireGuard
 * port, or {@link #ENDPOINT_AUTO} to go back to the one mosvm finds.
 */
public record UpRequest(String name, Integer cpus, Long memoryMiB, String accel, Duration timeout, Integer cpuCap, String cpuModel,
                        Integer clockOffset, String driver, String endpoint) {
    public UpRequest(String name, Integer cpus, Long memoryMiB, String accel, Duration timeout) {
        this(name, cpus, memoryMiB, accel, timeout, null, null, null, null, null);
    }

    /**
     * {@code --endpoint none}: nothing outside reaches this appliance's WireGuard port; it
     * advertises no endpoint, and members that are unreachable too are relayed (the agent's word).
     */
    public static final String ENDPOINT_NONE = dev.mosvm.api.GuestConfig.NO_ENDPOINT;

    /** {@code --endpoint auto}: forget an endpoint given before. */
    public static final String ENDPOINT_AUTO = "auto";

    /** The longest endpoint the agent takes: it travels in a gossip entry's 64-byte string ({@link dev.mosvm.api.Endpoint}). */
    public static final int MAX_ENDPOINT_LENGTH = dev.mosvm.api.Endpoint.MAX_LENGTH;

    /**
     * {@code --endpoint}'s value checked: HOST:PORT (a host name or IPv4 address, a port 1 to
     * 65535, at most {@link #MAX_ENDPOINT_LENGTH} characters) or {@link #ENDPOINT_AUTO}; null
     * stays null. Bad input is an error (exit 2).
     */
    public static String checkEndpoint(String endpoint) {
        if (endpoint == null || endpoint.equals(ENDPOINT_AUTO) || endpoint.equals(ENDPOINT_NONE)) return endpoint;
        String problem;
        try {
            String hostPort = HostPort.parseWithPort(endpoint).toString();
            // what the agent will take: it advertises nothing it would refuse from the network
            return dev.mosvm.api.Endpoint.parse(hostPort).toString();
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
        }
        throw MosvmException.invalid("invalid --endpoint '" + endpoint + "': " + problem
                + "; use HOST:PORT (a host name or IPv4 address, a port 1 to 65535), none or auto");
    }

    /** The furthest `--clock-offset` goes: a day either way. */
    public static final int MAX_CLOCK_OFFSET_SECONDS = 86_400;

    public static final int DEFAULT_CPUS = 1;
    public static final long DEFAULT_MEMORY_MIB = 512;
    public static final long MIN_MEMORY_MIB = 256;
}

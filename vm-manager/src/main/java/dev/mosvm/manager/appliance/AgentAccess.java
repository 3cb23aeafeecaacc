package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;

/**
 * Reaching an instance's agent: at the address of its DHCP lease, over TLS pinned to the
 * certificate made for it, with the instance secret as bearer token. Every host command that
 * talks to an appliance (nodes, mon, balance, ps, migrate, pool) comes through here.
 */
public final class AgentAccess {
    /**
     * How long a command waits for an agent's answer to a quick request (nodes, balance): an
     * emulated appliance on a busy host answers a cold TLS request in seconds, more while a
     * join mounts its peers' files; measured past 5 s with three TCG guests on two cores.
     */
    public static final Duration ANSWER_WAIT = Duration.ofSeconds(30);

    private final InstanceStore store;
    private final Hypervisor hv;

    public AgentAccess(InstanceStore store, Hypervisor hv) {
        this.store = store;
        this.hv = hv;
    }

    /** A client for a running instance's agent. */
    public AgentClient client(String name, Duration timeout, boolean withSecret) throws IOException {
        RunningInstance r = running(name);
        return clientAt(r.layout(), r.address(), r.agentPort(), timeout, withSecret);
    }

    /** The instance, if it runs and has an address; a state error otherwise. */
    public RunningInstance running(String name) {
        return RunningInstance.find(store, hv, name);
    }

    /** A client for the agent of the instance in {@code l} at {@code address:port}; {@code withSecret} false sends no credentials. */
    public static AgentClient clientAt(InstanceLayout l, String address, int port, Duration timeout, boolean withSecret) throws IOException {
        GuestConfig gc = Json.MAPPER.readValue(l.guestConfig().toFile(), GuestConfig.class);
        return new AgentClient(address, port, PinnedCertificateTrust.parsePem(Files.readString(l.agentCert())),
                withSecret ? gc.secret() : null, timeout);
    }
}

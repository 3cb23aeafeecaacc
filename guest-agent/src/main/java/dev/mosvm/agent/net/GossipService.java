package dev.mosvm.agent.net;

import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.gossip.GossipMessage;
import dev.mosvm.agent.gossip.GossipNode;
import dev.mosvm.agent.gossip.NodeIds;
import dev.mosvm.agent.gossip.Outbound;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.NodeView;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Drives a {@link GossipNode} on the network: ticks it every interval with fresh local facts,
 * seals what it sends, and opens, decodes and feeds it what arrives. Everything the network
 * can do wrong ends as a counted drop.
 */
public final class GossipService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GossipService.class.getName());
    static final long MAX_SKEW_MILLIS = 60_000;
    private final GossipNode node;
    private final PacketSealer sealer;
    private final UdpTransport transport;
    private final DropCounters drops = new DropCounters();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gossip-tick");
        t.setDaemon(true);
        return t;
    });
    private final Supplier<NodeInfo> localFacts;
    private final long start = System.nanoTime();

    public GossipService(PoolMembership s, GossipConfig cfg, Supplier<NodeInfo> localFacts) throws Exception {
        Keyring keys = new Keyring();
        for (PoolMembership.Key k : s.keys()) keys.install(k.id(), Base64.getDecoder().decode(k.base64()));
        keys.usePrimary(s.primaryKey());
        this.localFacts = localFacts;
        this.sealer = new PacketSealer(s.node(), keys, drops, System::currentTimeMillis, MAX_SKEW_MILLIS);
        this.node = new GossipNode(localFacts.get(), cfg, new SplittableRandom(new SecureRandom().nextLong()), new NodeIds());
        for (String seed : s.seeds()) {
            int colon = seed.lastIndexOf(':');
            node.addSeed(seed.substring(0, colon), Integer.parseInt(seed.substring(colon + 1)));
        }
        this.transport = new UdpTransport(new InetSocketAddress(s.port()), this::receive);
        ticker.scheduleAtFixedRate(this::tick, 0, cfg.intervalMillis(), TimeUnit.MILLISECONDS);
        LOG.info("gossip for pool " + s.pool() + " as " + s.node() + " on udp/" + transport.port());
    }

    /** Milliseconds on this agent's monotonic clock: what the gossip ages are measured in. */
    long now() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void tick() {
        try {
            List<Outbound> out;
            synchronized (node) {
                node.updateSelf(localFacts.get());
                out = node.onTick(now());
            }
            send(out);
        } catch (RuntimeException e) {
            LOG.warning("gossip tick failed: " + e); // the next tick tries again
        }
    }

    private void receive(byte[] packet, int length) {
        PacketSealer.Opened opened = sealer.open(packet, length);
        if (opened == null) return;
        GossipMessage msg;
        try {
            msg = GossipCodec.decode(opened.payload());
        } catch (GossipCodec.MalformedMessageException e) {
            drops.count(DropCounters.Reason.MALFORMED);
            return;
        }
        if (!msg.sender().equals(opened.sender())) { // one member speaking for another
            drops.count(DropCounters.Reason.UNAUTHENTICATED);
            return;
        }
        List<Outbound> replies;
        synchronized (node) {
            replies = node.onMessage(now(), msg);
        }
        send(replies);
    }

    private void send(List<Outbound> out) {
        for (Outbound o : out) transport.send(o.address(), o.port(), sealer.seal(GossipCodec.encode(o.message())));
    }

    public List<NodeView> view() {
        synchronized (node) {
            return node.view(now());
        }
    }

    public DropCounters drops() {
        return drops;
    }

    /** Announces leaving to every live peer, then stops. */
    public void leave() {
        List<Outbound> bye;
        synchronized (node) {
            bye = node.leave(now());
        }
        send(bye);
        close();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        transport.close();
    }
}

package dev.mosvm.agent.pool;

import dev.mosvm.agent.gossip.EntryCheck;
import dev.mosvm.agent.gossip.EntryProof;
import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.identity.Ed25519;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.MemberCredentials;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.net.CertificateExchange;
import dev.mosvm.agent.net.DropCounters;
import dev.mosvm.agent.net.PacketSealer;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.net.RekeyMessage;
import dev.mosvm.agent.net.Transport;
import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.gossip.GossipMessage;
import dev.mosvm.agent.gossip.GossipNode;
import dev.mosvm.agent.gossip.NodeIds;
import dev.mosvm.agent.gossip.Outbound;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Drives a {@link GossipNode} on the network: ticks it every interval with fresh local facts,
 * seals what it sends, and opens, decodes and feeds it what arrives. Everything the network
 * can do wrong ends as a counted drop. Also carries key rotation ({@link PoolKeys}): the pool
 * authority hands the current key to every member it hears using an older one.
 *
 * <p>With member identities, every node signs its own entry and believes others' only with
 * their signatures ({@link EntryCheck}). A member's key comes from its certificate, which this
 * node asks the sender of its entries for the first time it sees them ({@link CertificateExchange},
 * on the gossip channel; the certificate is checked against the pool's authority, not the
 * sender's word); until then that member's entries wait, so a joiner is seen an exchange later.
 */
public final class GossipService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GossipService.class.getName());
    static final long MAX_SKEW_MILLIS = 60_000;
    private final GossipNode node;
    private final PacketSealer sealer;
    private final Transport transport;
    private final DropCounters drops = new DropCounters();
    private final Supervised ticker;
    private final Supplier<NodeInfo> localFacts;
    private final long start = System.nanoTime();
    private final PoolKeys keys;
    private final GossipConfig cfg;
    private final Consumer<PoolKeys> onNewKey;
    /** Authority: the key each member last sealed with, and when it was last handed the current one. */
    private final Map<String, Integer> keyInUse = new ConcurrentHashMap<>();
    private final Map<String, Long> rekeySent = new ConcurrentHashMap<>();
    /** Null where members have no identities (a hand-made membership): entries go unsigned and unchecked. */
    private final EntryCheck entries;
    /** Members' identity keys, and the certificates they came from (to hand on to members that ask). */
    private final Map<String, byte[]> memberKeys = new ConcurrentHashMap<>();
    private final Map<String, byte[]> certificates = new ConcurrentHashMap<>();
    /** Members' certified overlay addresses (an overlay pool's): their entries must give these. */
    private final Map<String, String> seats = new ConcurrentHashMap<>();
    /** When this node last asked for a member's certificate, or answered a member's ask (monotonic ms). */
    private final Map<String, Long> asked = new ConcurrentHashMap<>();
    private final Map<String, Long> answered = new ConcurrentHashMap<>();
    private long answerWindowStart;
    private int answersInWindow;
    /** Asks answered per interval, all askers together: a member's worth of certificates each, so a few kB a second at most. */
    static final int MAX_ANSWERS_PER_INTERVAL = 8;
    /** Entries kept in the ask and answer logs before they are dropped whole. */
    static final int MAX_TRACKED = 4096;

    /**
     * @param onNewKey called (on the gossip thread) after this node took a new key or removed
     *                 a member, so the caller can persist {@link PoolKeys#persisted}
     * @param network  opens the transport on this node's gossip port ({@link Transport#UDP} in the agent)
     */
    public GossipService(PoolMembership s, GossipConfig cfg, Supplier<NodeInfo> localFacts, Consumer<PoolKeys> onNewKey,
            Transport.Factory network) throws Exception {
        this(s, null, cfg, localFacts, onNewKey, network, null);
    }

    /**
     * @param identity     this node's key pair, which the membership's certificate names (null: no peer channel, unsigned gossip)
     * @param sequenceFile where the sequence of this node's signed entries keeps its reserve across restarts (null: nowhere)
     */
    public GossipService(PoolMembership s, NodeIdentity identity, GossipConfig cfg, Supplier<NodeInfo> localFacts,
            Consumer<PoolKeys> onNewKey, Transport.Factory network, java.nio.file.Path sequenceFile) throws Exception {
        this.keys = new PoolKeys(s, identity);
        this.cfg = cfg;
        this.onNewKey = onNewKey;
        this.localFacts = localFacts;
        this.sealer = new PacketSealer(s.node(), keys.ring(), drops, System::currentTimeMillis, MAX_SKEW_MILLIS);
        this.node = new GossipNode(localFacts.get(), cfg, new SplittableRandom(new SecureRandom().nextLong()), new NodeIds());
        MemberCredentials own = credentialsOrNull(keys);
        if (own != null) {
            node.signWith(new OwnEntrySigner(own.identity(), cfg.intervalMillis(), sequenceFile, System::currentTimeMillis, System::nanoTime));
            entries = new EntryCheck(s.node(), new EntryCheck.Keys() {
                @Override
                public Boolean verify(String node, byte[] signed, byte[] signature) {
                    return GossipService.this.verify(node, signed, signature);
                }

                @Override
                public String certifiedAddress(String node) {
                    return seats.get(node);
                }
            });
            memberKeys.put(s.node(), own.identity().publicKey());
            certificates.put(s.node(), own.certificate());
        } else {
            entries = null;
        }
        for (String r : keys.revokedNodes()) node.ban(r);
        for (String seed : s.seeds()) {
            int colon = seed.lastIndexOf(':');
            node.addSeed(seed.substring(0, colon), Integer.parseInt(seed.substring(colon + 1)));
        }
        this.transport = network.open(new InetSocketAddress(s.port()), this::receive);
        this.ticker = Supervised.periodicAtRate("gossip-tick", 0, cfg.intervalMillis(), this::tick);
        LOG.info("gossip for pool " + s.pool() + " as " + s.node() + " on udp/" + transport.port());
    }

    private static MemberCredentials credentialsOrNull(PoolKeys keys) {
        try {
            return keys.credentials();
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private Boolean verify(String member, byte[] signed, byte[] signature) {
        byte[] key = memberKeys.get(member);
        return key == null ? null : Ed25519.verify(key, signed, signature);
    }

    /**
     * A member's certificate, from wherever it came (its own handshake, or the founder that
     * issued it): checked against the pool's authority and kept, so its entries are believed.
     */
    public void learn(String member, byte[] certificate) {
        MemberCredentials own = credentialsOrNull(keys);
        if (own == null) return;
        MemberCertificate c = own.check().check(certificate, member);
        byte[] held = certificates.get(member);
        if (held != null && MemberCertificate.decode(held).issuedAtSeconds() > c.issuedAtSeconds()) return; // an older one, handed on late
        memberKeys.put(member, c.publicKey());
        if (c.overlay() != null) seats.put(member, c.overlay().address().getHostAddress());
        else seats.remove(member);
        certificates.put(member, certificate.clone());
    }

    /** What of the members' certificates a join answer carries: the rest a joiner asks for (the answer must fit the agent's API body limit). */
    static final int HANDED_ON_BYTES = 24_000;

    /** The certificates of members this node believes, up to {@link #HANDED_ON_BYTES} (a joiner is handed them). */
    public List<byte[]> knownCertificates() {
        List<byte[]> out = new java.util.ArrayList<>();
        byte[] own = certificates.get(node.id()); // first: without the admitter's own, a joiner of an overlay pool could reach no one
        if (own != null) out.add(own.clone());
        int bytes = own == null ? 0 : own.length;
        for (Map.Entry<String, byte[]> c : certificates.entrySet()) {
            if (c.getKey().equals(node.id())) continue;
            if ((bytes += c.getValue().length) > HANDED_ON_BYTES) break;
            out.add(c.getValue().clone());
        }
        return out;
    }

    /** The certificates of every member this node believes (itself too), by member: the overlay's peers come from them. */
    public Map<String, MemberCertificate> members() {
        Map<String, MemberCertificate> out = new java.util.HashMap<>();
        certificates.forEach((member, bytes) -> out.put(member, MemberCertificate.decode(bytes))); // checked when learnt
        return out;
    }

    /**
     * Asks the sender of entries this node could not check for their members' certificates: it
     * believed them, so it holds them. At most once an interval per member; a lost ask is asked again.
     */
    private void askForCertificates(java.util.Set<String> members, GossipMessage from) {
        long now = now();
        List<String> ask = new java.util.ArrayList<>();
        for (String m : members) {
            Long last = asked.get(m);
            if (last != null && now - last < cfg.intervalMillis()) continue;
            asked.put(m, now);
            if (ask.size() < CertificateExchange.MAX_ITEMS) ask.add(m);
        }
        if (ask.isEmpty()) return;
        if (asked.size() > MAX_TRACKED) asked.clear(); // bounded: forgetting only allows an early second ask
        NodeInfo sender = from.entries().get(0).info();
        NodeInfo self;
        synchronized (node) {
            self = node.self(); // not the whole view: only where answers should come
        }
        send(sender.address(), sender.port(), CertificateExchange.encode(new CertificateExchange.Ask(self.address(), self.port(), ask)));
    }

    /**
     * Admitter: hands a new member's certificate to every live member at once, unasked, so they
     * believe its entries (and, in an overlay pool, take it as a peer) from its first packet,
     * instead of after gossip about it reaches them and they ask. Each checks it against the authority.
     */
    public void introduce(String member, byte[] certificate) {
        List<NodeView> live;
        synchronized (node) {
            live = node.view(now());
        }
        byte[] answer = CertificateExchange.encode(new CertificateExchange.Answer(List.of(certificate)));
        for (NodeView v : live) {
            String id = v.info().id();
            if (id.equals(node.id()) || id.equals(member) || v.state() == NodeState.DEAD || v.state() == NodeState.LEFT) continue;
            send(v.info().address(), v.info().port(), answer);
        }
    }

    /** A member asking for certificates, or answering this node's ask. */
    private void exchange(String from, byte[] payload) {
        CertificateExchange m;
        try {
            m = CertificateExchange.decode(payload);
        } catch (GossipCodec.MalformedMessageException e) {
            drops.count(DropCounters.Reason.MALFORMED);
            return;
        }
        if (entries == null) return;
        if (m instanceof CertificateExchange.Ask ask) {
            long now = now();
            if (now - answerWindowStart >= cfg.intervalMillis()) {
                answerWindowStart = now;
                answersInWindow = 0;
                if (answered.size() > MAX_TRACKED) answered.clear();
            }
            Long last = answered.get(from);
            // an asker is answered twice an interval at most, and all askers together a few times a member
            if (last != null && now - last < cfg.intervalMillis() / 2 || ++answersInWindow > MAX_ANSWERS_PER_INTERVAL) return;
            answered.put(from, now);
            List<byte[]> have = ask.nodes().stream().map(certificates::get).filter(java.util.Objects::nonNull).toList();
            if (have.isEmpty()) return;
            // to where the asker is on the board if it is there; a joiner's own word otherwise (an address, never a name to look up)
            NodeInfo onBoard;
            synchronized (node) {
                onBoard = node.view(now).stream().map(NodeView::info).filter(i -> i.id().equals(from)).findFirst().orElse(null);
            }
            String address = onBoard != null ? onBoard.address() : ask.replyAddress();
            int port = onBoard != null ? onBoard.port() : ask.replyPort();
            send(address, port, CertificateExchange.encode(new CertificateExchange.Answer(have)));
        } else if (m instanceof CertificateExchange.Answer answer) {
            for (byte[] c : answer.certificates()) {
                try {
                    String member = dev.mosvm.agent.identity.MemberCertificate.decode(c).node();
                    learn(member, c);
                } catch (IllegalArgumentException | SecurityException e) {
                    drops.count(DropCounters.Reason.UNPROVEN); // not a certificate of this pool's: nothing learnt
                }
            }
        }
    }

    /** Milliseconds on this agent's monotonic clock: what the gossip ages are measured in. */
    long now() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void tick() {
        List<Outbound> out;
        List<NodeView> members;
        synchronized (node) {
            node.updateSelf(localFacts.get());
            out = node.onTick(now());
            members = node.view(now());
        }
        logChanges(members);
        // only after a removal does the founder have keys to hand out (not every tick of every pool)
        if (!keys.isAuthority() || keys.epoch() == 0) members = List.of();
        keys.tick(now());
        send(out);
        // After a rotation, every live member not yet heard using the new key is handed it
        // (each acknowledges by gossiping back under it).
        int primary = keys.ring().primaryId();
        for (NodeView m : members) {
            Integer used = keyInUse.get(m.info().id());
            if (m.state() != NodeState.DEAD && !m.info().id().equals(node.id())
                    && (used == null || used != primary)) {
                rekey(m.info().id(), used == null ? -1 : used, m.info());
            }
        }
    }

    /** Each member's state when last logged: the journal says when a member turned ALIVE, SUSPECT, DEAD or LEFT here. */
    private final Map<String, NodeState> logged = new java.util.HashMap<>();

    private void logChanges(List<NodeView> view) {
        for (NodeView v : view) {
            String id = v.info().id();
            if (id.equals(node.id())) continue;
            NodeState before = logged.put(id, v.state());
            if (before != v.state()) LOG.info("member " + id + " is " + v.state() + (before == null ? "" : " (was " + before + ")") + " at " + v.info().address());
        }
        if (logged.size() > view.size()) logged.keySet().retainAll(view.stream().map(v -> v.info().id()).toList());
    }

    private void receive(byte[] packet, int length) {
        PacketSealer.Opened opened = sealer.open(packet, length);
        if (opened == null) return;
        if (keys.revoked(opened.sender())) {
            drops.count(DropCounters.Reason.REVOKED);
            return;
        }
        if (RekeyMessage.is(opened.payload())) {
            takeKey(opened);
            return;
        }
        if (CertificateExchange.is(opened.payload()) && !keys.ring().retired(opened.keyId())) {
            exchange(opened.sender(), opened.payload());
            return;
        }
        boolean retiredKey = keys.ring().retired(opened.keyId());
        GossipMessage msg;
        try {
            msg = GossipCodec.decode(opened.payload());
        } catch (GossipCodec.MalformedMessageException e) {
            drops.count(DropCounters.Reason.MALFORMED);
            return;
        }
        GossipMessage original = msg;
        if (!msg.sender().equals(opened.sender()) || msg.entries().isEmpty()) { // one member speaking for another
            drops.count(DropCounters.Reason.UNAUTHENTICATED);
            return;
        }
        if (keys.isAuthority()) keyInUse.put(msg.sender(), opened.keyId());
        if (retiredKey) {
            // Anyone holding an old key could have sealed this, so it is not gossip. But a
            // member that was away during a rotation is told the current key, sealed for it.
            drops.count(DropCounters.Reason.REVOKED);
            rekey(msg.sender(), opened.keyId(), msg.entries().get(0).info());
            return;
        }
        List<Outbound> replies;
        EntryCheck.Outcome checked = null;
        synchronized (node) {
            if (entries != null) {
                checked = entries.check(msg, now());
                msg = checked.message();
            }
            replies = msg == null ? List.of() : node.onMessage(now(), msg);
        }
        if (checked != null) {
            drops.count(DropCounters.Reason.UNPROVEN, checked.unproven());
            drops.count(DropCounters.Reason.FORGED, checked.forged());
            if (!checked.askFor().isEmpty()) askForCertificates(checked.askFor(), original);
        }
        send(replies);
    }

    /** Authority: hands {@code member} the current key, at most once an interval, under the key it uses. */
    private void rekey(String member, int usedKey, NodeInfo at) {
        long now = now();
        Long last = rekeySent.get(member);
        if (last != null && now - last < cfg.intervalMillis()) return;
        rekeySent.put(member, now);
        RekeyMessage m = keys.rekeyFor(member);
        int under = keys.ring().has(usedKey) ? usedKey : keys.ring().primaryId();
        transport.send(at.address(), at.port(), sealer.seal(m.encode(), under));
    }

    /** Member: a key handed out by the authority. */
    private void takeKey(PacketSealer.Opened opened) {
        RekeyMessage m;
        try {
            m = RekeyMessage.decode(opened.payload());
        } catch (GossipCodec.MalformedMessageException e) {
            drops.count(DropCounters.Reason.MALFORMED);
            return;
        }
        if (keys.isAuthority() || !opened.sender().equals(m.authority())) {
            drops.count(DropCounters.Reason.UNAUTHENTICATED);
            return;
        }
        PoolKeys.Applied applied = keys.apply(m, now(), cfg.deadAfterMillis());
        if (applied == PoolKeys.Applied.FORGED) {
            drops.count(DropCounters.Reason.UNAUTHENTICATED);
            LOG.warning("refused a key hand-out that does not open with this node's key (claimed from " + m.authority() + ")");
        } else if (applied == PoolKeys.Applied.NEW_KEY) {
            synchronized (node) {
                for (String r : m.revoked()) node.ban(r);
            }
            LOG.info("took gossip key " + m.keyId() + " (rotation " + m.epoch() + "); removed from the pool: " + m.revoked());
            onNewKey.accept(keys);
        }
        if (applied != PoolKeys.Applied.FORGED) { // acknowledge: gossip to the authority under the new key
            List<Outbound> ack;
            synchronized (node) {
                ack = node.messageTo(m.authority(), now());
            }
            send(ack);
        }
    }

    /**
     * Authority: expels {@code member}, whose packets are refused from now on, and starts
     * handing the remaining members a new key. Returns the new key's id.
     */
    public int remove(String member) {
        int id = keys.rotate(member, now(), cfg.deadAfterMillis());
        cutOff(member);
        LOG.info("removed " + member + " from the pool; handing out gossip key " + id);
        onNewKey.accept(keys);
        return id;
    }

    /**
     * Member: takes {@code member} as removed on an admitter's notice, before the founder rotates
     * the gossip key: its packets and entries are refused and it is no peer from now on.
     */
    public void revokeLocally(String member) {
        if (!keys.revoke(member)) return;
        cutOff(member);
        LOG.info("took " + member + " as removed from the pool (the founder hands out a new gossip key when it is back)");
        onNewKey.accept(keys);
    }

    private void cutOff(String member) {
        synchronized (node) {
            node.ban(member);
            if (entries != null) entries.forget(member);
        }
        memberKeys.remove(member);
        certificates.remove(member);
        seats.remove(member);
        keyInUse.remove(member);
    }

    public PoolKeys keys() {
        return keys;
    }

    private void send(List<Outbound> out) {
        for (Outbound o : out) transport.send(o.address(), o.port(), sealer.seal(GossipCodec.encode(o.message())));
    }

    private void send(String address, int port, byte[] payload) {
        transport.send(address, port, sealer.seal(payload));
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
        ticker.close();
        transport.close();
    }
}

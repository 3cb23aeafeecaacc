package dev.mosvm.agent.pool;

import dev.mosvm.agent.identity.RootOnlyFile;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.MemberCheck;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.timekeeping.PoolClockOffset;
import dev.mosvm.agent.timekeeping.PoolTime;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.net.DropCounters;
import dev.mosvm.agent.pool.GossipService;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.net.Transport;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.JoinTokenList;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.Json;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolInitResponse;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.PoolView;
import dev.mosvm.api.Endpoint;
import dev.mosvm.agent.overlay.OverlayAddresses;
import dev.mosvm.agent.overlay.OverlayDevice;
import dev.mosvm.agent.overlay.WireGuardKeys;
import java.net.Inet4Address;
import dev.mosvm.api.RemoveRequest;
import dev.mosvm.agent.admission.AdmitterGrants;
import dev.mosvm.agent.admission.Admitters;
import dev.mosvm.agent.admission.RemovalNotices;
import dev.mosvm.agent.identity.RevokeNotice;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.AdmittersRequest;
import dev.mosvm.api.RemoveResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The agent's place in a pool: founding one, admitting nodes that bring the join secret,
 * becoming a member with what a pool handed out, leaving. Membership is kept in one file
 * (written atomically, root-only) so the node rejoins by itself after a reboot.
 */
public final class Membership {
    private static final Logger LOG = Logger.getLogger(Membership.class.getName());
    static final int GOSSIP_PORT = 7946;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path file;
    private final FactsCollector facts;
    private PoolMembership membership;
    private GossipService gossip;
    /** The founder's join tokens (none on other members). */
    private final JoinTokens tokens;
    /** The founder's record of whom it admitted, with which key and token (empty on other members). */
    private final AdmittedMembers admitted;
    private final AtomicLong refusedJoins = new AtomicLong();
    /** Wall clock for token expiry (a test moves it). */
    private final java.util.function.LongSupplier clock;
    /** Where gossip goes: UDP in the agent, an in-memory network in tests. */
    private final Transport.Factory network;
    /** The pool's time less the host's, which the clock keeper adds (null outside an appliance: a host keeps its own time). */
    private final PoolClockOffset clockOffset;
    private PoolClockSync clockSync;
    /** This node's key pair, which a pool certifies at join. */
    private final NodeIdentity identity;
    /** This node's end of a pool overlay (null where none can run: a pool with one is then refused). */
    private final OverlayDevice overlayDevice;
    private PoolOverlay overlay;
    /** The founder's record of the members it named admitters (empty elsewhere). */
    private final Admitters admitters;
    /** An admitter's removals not yet told to every member (empty elsewhere). */
    private final RemovalNotices notices;
    /** How this node asks another member something on the peer channel (a test wires two memberships directly). */
    private volatile Courier courier = this::overPeerChannel;
    private Supervised noticeRounds;

    /** Asks member {@code node} {@code req} on the peer channel; answers the REPLY's text. */
    interface Courier {
        String deliver(String node, PeerRequest req) throws IOException;
    }

    /** The member was reached and said no (an ERROR answer): asking again gets the same answer. */
    static final class Refused extends IOException {
        Refused(String why) {
            super(why);
        }
    }

    /** How often an admitter tells its removals to the members that have not heard them yet. */
    static final long NOTICE_ROUND_MILLIS = 5000;
    private static final int PEER_ANSWER_MILLIS = 10_000;

    Membership(Path file, FactsCollector facts, java.util.function.LongSupplier clock, Transport.Factory network) {
        this(file, facts, clock, network, null, NodeIdentity.ephemeral());
    }

    Membership(Path file, FactsCollector facts, java.util.function.LongSupplier clock, Transport.Factory network, PoolClockOffset clockOffset,
            NodeIdentity identity) {
        this(file, facts, clock, network, clockOffset, identity, null);
    }

    Membership(Path file, FactsCollector facts, java.util.function.LongSupplier clock, Transport.Factory network, PoolClockOffset clockOffset,
            NodeIdentity identity, OverlayDevice overlayDevice) {
        this.identity = identity;
        this.overlayDevice = overlayDevice;
        this.file = file;
        this.facts = facts;
        this.clock = clock;
        this.network = network;
        this.clockOffset = clockOffset;
        this.tokens = JoinTokens.load(file.resolveSibling("join-tokens.json"), clock);
        this.admitted = AdmittedMembers.load(file.resolveSibling("admitted-members.json"));
        this.admitters = loadOrFail(() -> Admitters.load(file.resolveSibling("admitters.json")), "the record of admitters");
        this.notices = loadOrFail(() -> RemovalNotices.load(file.resolveSibling("removal-notices.json")), "the removal notices not yet told");
    }

    private interface Loader<T> {
        T load() throws IOException;
    }

    /** A kept record that cannot be read stops the agent with the file's name: going on could give an admitter's number twice. */
    private static <T> T loadOrFail(Loader<T> loader, String what) {
        try {
            return loader.load();
        } catch (IOException e) {
            throw new IllegalStateException(what + " cannot be read (" + e.getMessage().lines().findFirst().orElse("") + "); move it aside to go on", e);
        }
    }

    /** Wires this membership's peer requests elsewhere (tests). */
    void courier(Courier c) {
        this.courier = c;
    }

    /**
     * @param clockOffset where this node keeps the pool's time (null: it keeps none, outside an appliance)
     * @param identity    this node's key pair ({@link NodeIdentity#loadOrCreate} beside the membership file)
     * @param overlayDevice this node's end of a pool overlay, or null where none can run
     */
    public static Membership start(Path file, FactsCollector facts, PoolClockOffset clockOffset, NodeIdentity identity,
            OverlayDevice overlayDevice) throws Exception {
        return resume(new Membership(file, facts, System::currentTimeMillis, Transport.UDP, clockOffset, identity, overlayDevice));
    }

    /** Rejoins the pool kept in {@code c}'s membership file, if there is one (a restart). */
    static Membership resume(Membership c) throws Exception {
        Path file = c.file;
        PoolClockOffset clockOffset = c.clockOffset;
        if (Files.isRegularFile(file)) {
            try {
                c.become(Json.MAPPER.readValue(file.toFile(), PoolMembership.class));
            } catch (IllegalArgumentException e) {
                // a membership this node cannot act on (its identity key was lost): out of the pool, and saying why
                c.stopGossip();
                c.membership = null;
                LOG.severe("not rejoining the pool in " + file + ": " + e.getMessage());
            }
        } else c.stopFollowing(clockOffset != null && clockOffset.millis() != 0); // an offset left from a pool it is no longer in
        return c;
    }

    /** Founds a pool: a fresh gossip key, this node its first member, a join secret for others. */
    public synchronized PoolInitResponse init(PoolInitRequest req) throws Exception {
        if (membership != null) throw new IllegalStateException("already in pool " + membership.pool() + "; leave it first");
        if (req.pool() == null || !req.pool().matches("[a-z][a-z0-9-]{0,31}")) throw new IllegalArgumentException("invalid pool name");
        String bad = PoolInitRequest.checkTunables(req.intervalMillis(), req.window());
        if (bad != null) throw new IllegalArgumentException(bad); // before anything is written
        int uses = req.tokenUses() == null ? 1 : req.tokenUses();
        long ttl = Math.max(JoinTokenRequest.MIN_TTL_SECONDS, req.tokenTtlSeconds());
        if (uses < 1 || uses > JoinTokenRequest.MAX_USES) throw new IllegalArgumentException("invalid --token-uses " + uses + ": use 1 to " + JoinTokenRequest.MAX_USES);
        if (ttl > JoinTokenRequest.MAX_TTL_SECONDS) throw new IllegalArgumentException("invalid --token-ttl: at most " + JoinTokenRequest.MAX_TTL_SECONDS / 3600 + " hours");
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        byte[] master = new byte[32];
        RANDOM.nextBytes(master);
        boolean overlayOn = PoolInitRequest.OVERLAY_WIREGUARD.equals(req.overlay());
        if (req.overlay() != null && !overlayOn && !PoolInitRequest.OVERLAY_PLAIN.equals(req.overlay())) {
            throw new IllegalArgumentException("unknown overlay '" + req.overlay() + "': use " + PoolInitRequest.OVERLAY_WIREGUARD + " or " + PoolInitRequest.OVERLAY_PLAIN);
        }
        if (overlayOn && overlayDevice == null) throw new IllegalStateException("this agent cannot run the WireGuard overlay here");
        AgentFacts f = facts.collect();
        Base64.Encoder b64 = Base64.getEncoder();
        PoolAuthority authority = PoolAuthority.create(f.node());
        Inet4Address seat = overlayOn ? OverlayAddresses.first() : null;
        MemberCertificate own = authority.certify(req.pool(), f.node(), identity.publicKey(), clock.getAsLong() / 1000,
                overlayOn ? new MemberCertificate.Overlay(WireGuardKeys.decodeKey(overlayDevice.publicKey()), seat) : null);
        become(new PoolMembership(req.pool(), f.node(), overlayOn ? seat.getHostAddress() : f.address(), GOSSIP_PORT,
                List.of(new PoolMembership.Key(1, b64.encodeToString(key))), 1, List.of(), "lan",
                req.intervalMillis(), req.window(), f.node(), b64.encodeToString(master),
                b64.encodeToString(KeyEnvelope.nodeKey(master, req.pool(), f.node())), 0, List.of(), req.plainPageStreams(),
                authority.publicKeyBase64(), authority.secretBase64(), b64.encodeToString(own.encode()), 0, List.of(),
                overlayOn ? PoolInitRequest.OVERLAY_WIREGUARD : null, overlayOn ? seat.getHostAddress() : null, Map.of()));
        tokens.clear();
        admitted.clear();
        admitters.clear();
        notices.clear();
        String s = tokens.issue(uses, ttl);
        return new PoolInitResponse(req.pool(), s, clock.getAsLong() / 1000 + ttl);
    }

    /** Founder only: issues, lists or revokes join tokens. */
    public synchronized JoinTokenList tokens(JoinTokenRequest req) throws Exception {
        if (membership == null) throw new IllegalStateException("this node is not in a pool");
        if (membership.master() == null && membership.grant() == null) {
            throw new IllegalStateException("only the pool's founder, " + membership.authority()
                    + ", and the admitters it names issue join tokens; run this on one of their workstations");
        }
        String issued = null;
        switch (String.valueOf(req.action())) {
            case "create" -> {
                if (req.uses() == null || req.ttlSeconds() == null) throw new IllegalArgumentException("create needs uses and ttlSeconds");
                issued = tokens.issue(req.uses(), req.ttlSeconds());
            }
            case "list" -> { }
            case "revoke" -> {
                if (req.id() == null || !tokens.revoke(req.id())) throw new IllegalArgumentException("no live join token '" + req.id() + "'");
                LOG.info("join token " + req.id() + " revoked");
            }
            default -> throw new IllegalArgumentException("unknown token action '" + req.action() + "': create, list or revoke");
        }
        return new JoinTokenList(membership.pool(), issued, tokens.live());
    }

    /** A node with the join secret gets the pool's membership, with this node as its seed. */
    public synchronized PoolMembership admit(JoinRequest req) throws Exception {
        String token = membership == null ? null : tokens.check(req.joinSecret());
        if (token == null) {
            refusedJoins.incrementAndGet();
            LOG.warning("refused a join request for node " + req.node() + ": wrong, used up, revoked or expired token");
            throw new SecurityException("the token is wrong, used up, revoked or has expired");
        }
        if (req.node() == null || !req.node().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) throw new IllegalArgumentException("invalid node name");
        byte[] joinerKey = identityKey(req.identityKey());
        String key = Base64.getEncoder().encodeToString(joinerKey); // one spelling of a key, whatever padding the request used
        String removedAs = admitted.removedWithKey(key);
        if (removedAs != null) {
            refusedJoins.incrementAndGet();
            LOG.warning("refused a join request for " + req.node() + ": its identity key was " + removedAs + "'s, who was removed");
            throw new IllegalStateException("this appliance was removed from pool " + membership.pool() + " (as " + removedAs + ") and cannot rejoin");
        }
        String twin = admitted.otherWithKey(key, req.node());
        if (twin != null) {
            refusedJoins.incrementAndGet();
            throw new IllegalStateException("the appliance joining as " + req.node() + " has the identity key of member " + twin
                    + " (a copy of its disk?); give it its own: " + ownKeysCommand(req.node()));
        }
        if (gossip.keys().revoked(req.node())) {
            refusedJoins.incrementAndGet();
            LOG.warning("refused a join request from " + req.node() + ": it was removed from the pool");
            throw new IllegalStateException("node '" + req.node() + "' was removed from pool " + membership.pool() + " and cannot rejoin");
        }
        boolean founder = membership.master() != null && membership.authoritySecret() != null;
        PoolMembership.Grant grant = membership.grant();
        if (!founder && grant == null) {
            throw new IllegalStateException("only the pool's founder, " + membership.authority() + ", and the admitters it names admit nodes");
        }
        MemberCertificate known = gossip.members().get(req.node());
        if (!founder) {
            // an admitter knows the pool only by gossip: what it cannot tell apart from a theft it refuses
            if (req.node().equals(membership.authority())) {
                refusedJoins.incrementAndGet();
                throw new IllegalStateException("'" + req.node() + "' is the name of pool " + membership.pool() + "'s founder");
            }
            if (known != null && !java.util.Arrays.equals(known.publicKey(), joinerKey)) {
                refusedJoins.incrementAndGet();
                throw new IllegalStateException("pool " + membership.pool() + " has a member named '" + req.node()
                        + "' with another identity key; only the founder, " + membership.authority() + ", admits it again under a new key");
            }
        }
        for (NodeView n : gossip.view()) {
            if (n.info().id().equals(req.node()) && (n.state() == NodeState.ALIVE || n.state() == NodeState.SUSPECT)) {
                throw new IllegalStateException("pool " + membership.pool() + " already has a live node named '" + req.node()
                        + "'; bring this appliance up under another name (mosvm up -i NAME)");
            }
        }
        String masterSecret = founder ? membership.master() : grant.master();
        String authoritySecret = founder ? membership.authoritySecret() : grant.authoritySecret();
        MemberCertificate.Overlay seat = null;
        Endpoint joinerEndpoint = null;
        if (membership.overlayOn()) {
            byte[] wireguardKey;
            try {
                wireguardKey = WireGuardKeys.decodeKey(req.overlayKey());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("pool " + membership.pool() + " runs a WireGuard overlay and the join request carries no valid WireGuard key ("
                        + e.getMessage() + ")");
            }
            if (req.endpoint() != null) {
                try {
                    joinerEndpoint = Endpoint.parse(req.endpoint());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("the join request's endpoint: " + e.getMessage());
                }
            }
            String asWg = Base64.getEncoder().encodeToString(wireguardKey);
            for (MemberCertificate other : gossip.members().values()) {
                if (!other.node().equals(req.node()) && !gossip.keys().revoked(other.node()) && other.overlay() != null
                        && other.overlay().wireguardKeyBase64().equals(asWg)) {
                    refusedJoins.incrementAndGet();
                    throw new IllegalStateException("the appliance joining as " + req.node() + " has the WireGuard key of member " + other.node()
                            + " (a copy of its disk?); give it its own: " + ownKeysCommand(req.node()));
                }
            }
            String kept = admitted.overlayAddressOf(req.node());
            if (kept == null && known != null && known.overlay() != null && java.util.Arrays.equals(known.publicKey(), joinerKey)) {
                kept = known.overlay().address().getHostAddress(); // a member back from leaving keeps its seat, whoever admitted it first
            }
            List<Inet4Address> taken = new java.util.ArrayList<>(List.of(OverlayAddresses.parse(membership.overlayAddress())));
            for (String a : admitted.overlayAddresses()) taken.add(OverlayAddresses.parse(a));
            for (MemberCertificate c : gossip.members().values()) if (c.overlay() != null) taken.add(c.overlay().address());
            seat = new MemberCertificate.Overlay(wireguardKey, kept != null ? OverlayAddresses.parse(kept)
                    : OverlayAddresses.seat(taken, founder ? 0 : grant.number()));
        }
        PoolAuthority authority = PoolAuthority.restore(authoritySecret, membership.authorityKey(), membership.node()); // the issuer: who admitted it
        MemberCertificate certificate = authority.certify(membership.pool(), req.node(), joinerKey, clock.getAsLong() / 1000, seat);
        admitted.admitted(req.node(), key, token, clock.getAsLong() / 1000, seat == null ? null : seat.address().getHostAddress());
        tokens.use(token);
        gossip.learn(req.node(), certificate.encode()); // the founder believes the joiner's first gossip without asking
        gossip.introduce(req.node(), certificate.encode()); // and so do the others
        if (overlay != null) {
            // its first packets, before any gossip about it, come from a peer the overlay already has
            overlay.learn(req.node(), joinerEndpoint);
            try {
                overlay.sync();
            } catch (Exception e) {
                LOG.warning("cannot add " + req.node() + " to the overlay yet (" + e.getMessage() + "); the next round tries again");
            }
        }
        LOG.info("admitting " + req.node() + " to pool " + membership.pool() + " (join token " + token + ")");
        PoolMembership current = gossip.keys().persisted(membership);
        byte[] nodeKey = KeyEnvelope.nodeKey(Base64.getDecoder().decode(masterSecret), membership.pool(), req.node());
        List<PoolMembership.Key> primary = current.keys().stream().filter(k -> k.id() == current.primaryKey()).toList();
        return new PoolMembership(membership.pool(), req.node(), null, 0, primary, current.primaryKey(),
                List.of(membership.address() + ":" + membership.port()), membership.profile(), membership.intervalMillis(),
                membership.window(), membership.authority(), null, Base64.getEncoder().encodeToString(nodeKey),
                current.epoch(), current.revoked(), membership.plainPageStreams(), membership.authorityKey(), null,
                Base64.getEncoder().encodeToString(certificate.encode()), clock.getAsLong(),
                gossip.knownCertificates().stream().map(Base64.getEncoder()::encodeToString).toList(), membership.overlay(),
                seat == null ? null : seat.address().getHostAddress(), overlay == null ? Map.of() : overlay.endpoints(), membership.node(), null);
    }

    /** What makes a copied appliance's keys its own (identity and WireGuard keys are both made anew at the agent's start). */
    private static String ownKeysCommand(String node) {
        return "mosvm ssh -i " + node + " -- 'rm /etc/mosvm/node-identity /etc/mosvm/wg.key && systemctl restart mosvm-agent'";
    }

    /** A joiner's identity key, as its request carries it: base64 of a raw Ed25519 key. */
    private static byte[] identityKey(String base64) {
        if (base64 == null) throw new IllegalArgumentException("the join request carries no identity key (the joining appliance's agent is older than this pool)");
        try {
            byte[] key = Base64.getDecoder().decode(base64);
            dev.mosvm.agent.identity.Ed25519.publicKey(key);
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the join request's identity key is not an Ed25519 public key");
        }
    }

    /**
     * Expels a member. The founder hands the others a new gossip key the member never gets; an
     * admitter signs a removal notice and tells every member it can reach, the founder among
     * them, which rotates the key when it has it (now, or when it is back).
     */
    public RemoveResponse remove(RemoveRequest req) throws Exception {
        Object done = removeHere(req);
        if (done instanceof RemoveResponse r) return r;
        AdmitterRemoval removal = (AdmitterRemoval) done;
        RevokeNotice notice = removal.notice();
        deliverNotices(true); // the founder now, which may take a timeout; the next round (within 5 s) tells the others
        String founder;
        synchronized (this) {
            founder = membership == null ? null : membership.authority();
        }
        List<String> waiting = notices.pending().stream().filter(p -> p.decoded().node().equals(notice.node()))
                .flatMap(p -> p.waiting().stream()).toList();
        boolean founderHasIt = founder != null && !waiting.contains(founder);
        return new RemoveResponse(notice.pool(), notice.node(), 0, toldOf(notice), removal.revokedTokens(), founderHasIt ? null : founder);
    }

    /** An admitter's removal: the notice it tells, and its own tokens the member came with, revoked. */
    private record AdmitterRemoval(RevokeNotice notice, List<String> revokedTokens) {}

    /** How many members have been told {@code notice} (all, once the founder has it: its rotation tells the rest). */
    private final Map<String, Integer> told = new java.util.concurrent.ConcurrentHashMap<>();

    private int toldOf(RevokeNotice notice) {
        return told.getOrDefault(notice.node(), 0);
    }

    /** The founder's removal, done (a RemoveResponse); or an admitter's notice, kept to be told. */
    private synchronized Object removeHere(RemoveRequest req) throws Exception {
        return removeHere(req, false);
    }

    /** {@code onNotice}: the founder acting on an admitter's signed notice, for a member it may never have seen (admitted and removed while it was off). */
    private synchronized Object removeHere(RemoveRequest req, boolean onNotice) throws Exception {
        if (gossip == null) throw new IllegalStateException("this node is not in a pool");
        boolean founder = membership.master() != null;
        if (!founder && membership.grant() == null) {
            throw new IllegalStateException("only the pool's founder, " + membership.authority()
                    + ", and the admitters it names can remove members; run this on one of their workstations");
        }
        if (req.node() == null || !PeerRequest.isNodeName(req.node())) throw new IllegalArgumentException("invalid node name");
        if (membership.node().equals(req.node())) {
            throw new IllegalArgumentException(founder ? "the founder cannot remove itself; use mosvm leave" : "an admitter cannot remove itself; use mosvm leave");
        }
        if (!founder && req.node().equals(membership.authority())) {
            throw new IllegalArgumentException("an admitter cannot remove the pool's founder, " + membership.authority());
        }
        if (gossip.keys().revoked(req.node())) throw new IllegalStateException("node '" + req.node() + "' was already removed");
        List<NodeView> nodes = gossip.view();
        if (!onNotice && nodes.stream().noneMatch(n -> n.info().id().equals(req.node())) && !admitted.has(req.node())) {
            throw new IllegalArgumentException("no node named '" + req.node() + "' in pool " + membership.pool());
        }
        // the record and the tokens first: a failure here leaves the node in the pool, and the removal can be asked again
        List<String> revokedTokens = new java.util.ArrayList<>();
        for (String t : admitted.removed(req.node())) {
            if (tokens.revoke(t)) revokedTokens.add(t);
        }
        if (!revokedTokens.isEmpty()) LOG.info("revoked join token(s) " + revokedTokens + ", which admitted " + req.node());
        if (!founder) {
            PoolAuthority authority = PoolAuthority.restore(membership.grant().authoritySecret(), membership.authorityKey(), membership.node());
            RevokeNotice notice = authority.removal(membership.pool(), req.node(), clock.getAsLong() / 1000);
            List<String> recipients = new java.util.ArrayList<>(List.of(membership.authority()));
            for (NodeView n : nodes) {
                String id = n.info().id();
                if (!id.equals(req.node()) && !id.equals(membership.node()) && !id.equals(membership.authority()) && n.state() != NodeState.LEFT) {
                    recipients.add(id);
                }
            }
            notices.add(notice, recipients);
            told.put(req.node(), 0);
            gossip.revokeLocally(req.node());
            LOG.info("removed " + req.node() + " from pool " + membership.pool() + " as admitter; telling " + recipients);
            return new AdmitterRemoval(notice, revokedTokens);
        }
        if (admitters.numberOf(req.node()) > 0) admitters.withdrawn(req.node()); // removed, it needs no word that its grant is withdrawn
        int keyId = gossip.remove(req.node());
        int members = (int) nodes.stream().filter(n -> !n.info().id().equals(req.node()) && !n.info().id().equals(membership.node())
                && n.state() != NodeState.LEFT).count();
        return new RemoveResponse(membership.pool(), req.node(), keyId, members, revokedTokens, null);
    }

    /** Tells each pending removal to the members that have not had it; runs every {@link #NOTICE_ROUND_MILLIS} and after a removal. */
    void deliverNotices() {
        deliverNotices(false);
    }

    /** One round of telling ({@code founderOnly}: only the founder); rounds never overlap, so no member is told twice at once. */
    private void deliverNotices(boolean founderOnly) {
        synchronized (noticeRound) {
            String founder;
            synchronized (this) {
                if (membership == null) return;
                founder = membership.authority();
            }
            for (RemovalNotices.Pending p : notices.pending()) {
                tell(p, founder, founderOnly);
            }
        }
    }

    private final Object noticeRound = new Object();
    /** The founder's last refusal of each notice, logged once (it is asked again every round: a refusal may be its agent mid-restart). */
    private final Map<String, String> founderRefusals = new java.util.concurrent.ConcurrentHashMap<>();

    private void tell(RemovalNotices.Pending p, String founder, boolean founderOnly) {
        RevokeNotice notice = p.decoded();
        for (String to : p.waiting()) {
            if (founderOnly && !to.equals(founder)) continue;
            try {
                String answer = courier.deliver(to, PeerRequest.revoke(p.notice()));
                LOG.info("told " + to + " that " + notice.node() + " is removed (" + answer + ")");
            } catch (Refused e) {
                if (to.equals(founder)) {
                    // the key is rotated only by the founder: its refusal leaves the notice pending, never done
                    String why = String.valueOf(e.getMessage());
                    if (!why.equals(founderRefusals.put(notice.node(), why))) {
                        LOG.warning("the founder " + founder + " refused the notice that " + notice.node() + " is removed: " + why
                                + " (asked again every " + NOTICE_ROUND_MILLIS / 1000 + " s)");
                    }
                    continue;
                }
                LOG.warning(to + " refused the notice that " + notice.node() + " is removed: " + e.getMessage());
            } catch (IOException e) {
                continue; // down or unreachable: the next round asks again
            }
            told.merge(notice.node(), 1, Integer::sum);
            try {
                notices.delivered(notice.node(), to, to.equals(founder));
            } catch (IOException e) {
                LOG.warning("cannot keep that " + to + " has the notice removing " + notice.node() + ": " + e.getMessage());
            }
            if (to.equals(founder)) break; // the founder's key rotation tells the rest
        }
    }

    /** Members a grant is on its way to (guarded by this): naming one twice at once would record it twice. */
    private final java.util.Set<String> naming = new java.util.HashSet<>();

    /** Founder only: names a member an admitter, withdraws one, or lists them. */
    public AdmittersList admitters(AdmittersRequest req) throws Exception {
        String node = req == null ? null : req.node();
        String action = String.valueOf(req == null ? null : req.action());
        String sealed;
        int number;
        synchronized (this) {
            if (membership == null) throw new IllegalStateException("this node is not in a pool");
            if (membership.master() == null) {
                throw new IllegalStateException("only the pool's founder, " + membership.authority() + ", names admitters; run this on its workstation");
            }
            switch (action) {
                case "list" -> {
                    return new AdmittersList(membership.pool(), admitters.list());
                }
                case "add", "remove" -> {
                    if (node == null || !PeerRequest.isNodeName(node)) throw new IllegalArgumentException(action + " needs a node name, as `mosvm nodes` shows it");
                    if (node.equals(membership.node())) throw new IllegalArgumentException("the founder admits already; name another member");
                }
                default -> throw new IllegalArgumentException("unknown admitters action '" + action + "': add, remove or list");
            }
            if (action.equals("remove")) {
                if (admitters.numberOf(node) == 0) throw new IllegalArgumentException("'" + node + "' is no admitter of pool " + membership.pool());
                sealed = null;
                number = 0;
            } else {
                if (admitters.numberOf(node) > 0) throw new IllegalStateException("'" + node + "' is admitter " + admitters.numberOf(node) + " already");
                if (naming.contains(node)) throw new IllegalStateException("'" + node + "' is being named an admitter already");
                if (gossip.keys().revoked(node)) throw new IllegalStateException("node '" + node + "' was removed from pool " + membership.pool());
                boolean alive = gossip.view().stream().anyMatch(n -> n.info().id().equals(node) && n.state() == NodeState.ALIVE);
                if (!alive || !gossip.members().containsKey(node)) {
                    throw new IllegalStateException("no live member named '" + node + "' in pool " + membership.pool() + "; an admitter must be up to be named");
                }
                number = admitters.reserve(); // kept before the grant leaves: a grant whose answer is lost never shares its number
                naming.add(node);
                sealed = AdmitterGrants.seal(Base64.getDecoder().decode(membership.master()), membership.pool(), node,
                        new PoolMembership.Grant(number, membership.master(), membership.authoritySecret()));
            }
        }
        // outside the lock: the member's answer takes a round trip, and it may be slow
        boolean answered = false;
        try {
            courier.deliver(node, sealed == null ? PeerRequest.withdraw() : PeerRequest.grant(sealed));
            answered = true;
        } catch (IOException e) {
            throw new IllegalStateException("cannot " + (sealed == null ? "withdraw " + node + "'s grant" : "name " + node + " an admitter") + ": "
                    + e.getMessage() + "; nothing changed");
        } finally {
            if (!answered) {
                synchronized (this) {
                    naming.remove(node);
                }
            }
        }
        synchronized (this) {
            naming.remove(node);
            if (sealed == null) admitters.withdrawn(node);
            else admitters.named(node, number);
            LOG.info(sealed == null ? "withdrew " + node + "'s grant to admit" : "named " + node + " admitter " + number);
            return new AdmittersList(membership.pool(), admitters.list());
        }
    }

    /** What another member asks of this node's membership on the peer channel ({@code peer}, proven); answers the REPLY's text. */
    String servePeer(String peer, PeerRequest req) throws Exception {
        switch (req.op()) {
            case GRANT -> {
                synchronized (this) {
                    fromFounder(peer, "names admitters");
                    PoolMembership.Grant g = AdmitterGrants.open(Base64.getDecoder().decode(membership.nodeKey()), membership.pool(), membership.node(),
                            req.sealedBytes(), membership.authorityKey());
                    PoolMembership next = membership.withGrant(g);
                    save(next); // kept before it counts: the founder records the number only on this answer
                    membership = next;
                    LOG.info("named admitter " + g.number() + " of pool " + membership.pool() + " by " + peer);
                    return "admitter " + g.number();
                }
            }
            case WITHDRAW -> {
                synchronized (this) {
                    fromFounder(peer, "withdraws admitters");
                    PoolMembership next = membership.withGrant(null);
                    save(next);
                    membership = next;
                    tokens.clear(); // the tokens it issued as admitter admit nobody now
                    LOG.info("no longer an admitter of pool " + membership.pool() + " (withdrawn by " + peer + ")");
                    return "withdrawn";
                }
            }
            case REVOKE -> {
                RevokeNotice n;
                try {
                    n = RevokeNotice.decode(req.sealedBytes());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("a malformed removal notice: " + e.getMessage());
                }
                boolean founder;
                synchronized (this) {
                    if (gossip == null) throw new IllegalStateException("this node is not in a pool");
                    if (!n.pool().equals(membership.pool())) throw new SecurityException("a removal notice for pool " + n.pool());
                    if (!n.signedBy(Base64.getDecoder().decode(membership.authorityKey()))) throw new SecurityException("a removal notice the pool did not sign");
                    if (n.node().equals(membership.authority())) throw new SecurityException("a removal notice naming the founder");
                    if (n.node().equals(membership.node())) throw new SecurityException("a removal notice naming this node itself");
                    // the signer delivers its notices itself: the peer channel proves who that is, and refuses removed members
                    if (!n.by().equals(peer)) throw new SecurityException("a removal notice signed by " + n.by() + " but delivered by " + peer);
                    if (gossip.keys().revoked(n.node())) return "already removed";
                    founder = membership.master() != null;
                    if (!founder) {
                        gossip.revokeLocally(n.node());
                        return "removed";
                    }
                }
                LOG.info("removing " + n.node() + " on admitter " + n.by() + "'s notice");
                RemoveResponse r = (RemoveResponse) removeHere(new RemoveRequest(n.node()), true);
                return "removed; gossip key " + r.keyId();
            }
            default -> throw new IllegalArgumentException("not a membership request: " + req.op().wire());
        }
    }

    private void fromFounder(String peer, String what) {
        if (membership == null) throw new IllegalStateException("this node is not in a pool");
        if (!membership.authority().equals(peer)) throw new SecurityException("only the founder " + what + ", not " + peer);
    }

    /** Asks {@code node} on the peer channel, as a member of this pool. */
    private String overPeerChannel(String node, PeerRequest req) throws IOException {
        String self;
        synchronized (this) {
            if (membership == null) throw new IOException("not in a pool");
            self = membership.node();
        }
        try (PeerChannel ch = new LivePeers(this, self, PeerDirectory.PORT).connect(node)) {
            ch.readTimeout(PEER_ANSWER_MILLIS);
            PeerRequest.write(ch.out, req);
            Frame f = FrameCodec.read(ch.in);
            if (f == null) throw new IOException(node + " closed the connection");
            if (f.type() == MessageType.ERROR) throw new Refused(f.text());
            return f.text();
        }
    }

    /** Becomes a member with what a pool handed out (the host fills in this node's own part). */
    public synchronized Map<String, String> configure(PoolMembership m) throws Exception {
        if (m.pool() == null || m.keys() == null || m.keys().isEmpty()) throw new IllegalArgumentException("incomplete membership");
        if (m.nodeKey() == null || m.authority() == null) throw new IllegalArgumentException("membership without credentials");
        if (m.certificate() == null || m.authorityKey() == null) throw new IllegalArgumentException("membership without a certificate for this node");
        AgentFacts f = facts.collect();
        if (m.node() != null && !m.node().equals(f.node())) {
            throw new IllegalArgumentException("this membership was issued to node '" + m.node() + "', not '" + f.node() + "'");
        }
        MemberCertificate c;
        try {
            c = MemberCheck.of(m.pool(), m.authorityKey(), n -> false).check(Base64.getDecoder().decode(m.certificate()), f.node());
        } catch (SecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("this membership's certificate does not hold: " + e.getMessage());
        }
        if (!java.util.Arrays.equals(c.publicKey(), identity.publicKey())) {
            throw new IllegalArgumentException("this membership certifies key " + NodeIdentity.fingerprint(c.publicKey()) + ", not this appliance's ("
                    + identity.fingerprint() + ")");
        }
        if (m.overlayOn()) checkSeat(m, c);
        if (membership == null) {
            // joining afresh: tokens, admissions and removals from a pool left behind (or one that could not be resumed) do not carry over
            tokens.clear();
            admitted.clear();
            admitters.clear();
            notices.clear();
        }
        takePoolTime(m.admittedAtMillis());
        become(m.as(f.node(), m.overlayOn() ? m.overlayAddress() : f.address(), GOSSIP_PORT));
        return Map.of("joined", m.pool());
    }

    /** Keeps the members' certificates in the membership file (an overlay member restarts from them). */
    private synchronized void rememberMembers(String pool, List<String> certificates) {
        if (membership == null || !membership.pool().equals(pool)) return; // a keeper of a pool this node has left
        try {
            membership = membership.withMemberCertificates(certificates);
            save(membership);
        } catch (Exception e) {
            LOG.warning("cannot keep the members' certificates: " + e + " (after a restart this node waits for them to be handed again)");
        }
    }

    private void downOverlay() {
        if (overlayDevice == null) return;
        try {
            overlayDevice.down();
        } catch (Exception e) {
            LOG.warning("cannot remove the overlay interface: " + e.getMessage());
        }
    }

    /** A membership of a pool with an overlay must seat this node there, with its own WireGuard key, where it says. */
    private void checkSeat(PoolMembership m, MemberCertificate c) {
        if (overlayDevice == null) throw new IllegalArgumentException("pool " + m.pool() + " runs a WireGuard overlay, which this agent cannot run here");
        if (c.overlay() == null) throw new IllegalArgumentException("this membership's certificate gives this node no seat on the pool's overlay");
        if (!c.overlay().wireguardKeyBase64().equals(overlayDevice.publicKey())) {
            throw new IllegalArgumentException("this membership certifies another WireGuard key than this appliance's");
        }
        if (!c.overlay().address().getHostAddress().equals(m.overlayAddress())) {
            throw new IllegalArgumentException("this membership's overlay address " + m.overlayAddress() + " is not the certified "
                    + c.overlay().address().getHostAddress());
        }
    }

    private void become(PoolMembership m) throws Exception {
        stopGossip();
        PoolOverlay next = null;
        if (m.overlayOn()) {
            // before gossip starts, so its first packets have a way, and before the membership is
            // kept: an overlay that cannot come up leaves this node out of the pool, saying why
            try {
                if (overlayDevice == null) throw new IllegalArgumentException("pool " + m.pool() + " runs a WireGuard overlay, which this agent cannot run here");
                // after a restart too: a WireGuard key made anew (its file lost) is one no member takes
                checkSeat(m, MemberCertificate.decode(Base64.getDecoder().decode(m.certificate())));
                next = new PoolOverlay(overlayDevice, m.node(), m.authority(), () -> gossip, certificates -> rememberMembers(m.pool(), certificates));
                next.up(OverlayAddresses.parse(m.overlayAddress()), m.memberEndpoints());
            } catch (Exception e) {
                downOverlay(); // nothing of a half-made overlay stays reachable
                throw new IllegalArgumentException("the pool's overlay cannot come up here: " + e.getMessage(), e);
            }
        }
        GossipConfig cfg = "test".equals(m.profile()) ? GossipConfig.test() : GossipConfig.of(m.intervalMillis(), m.window());
        gossip = new GossipService(m, identity, cfg, () -> loadVector(m, facts), this::keysChanged, network, file.resolveSibling("gossip-sequence"));
        for (String c : m.memberCertificates()) {
            try {
                byte[] bytes = Base64.getDecoder().decode(c);
                gossip.learn(MemberCertificate.decode(bytes).node(), bytes);
            } catch (IllegalArgumentException | SecurityException e) {
                LOG.warning("a member's certificate handed on at join does not hold (" + e.getMessage() + "): its entries wait for one that does");
            }
        }
        if (next != null) {
            overlay = next;
            overlay.keep();
        }
        membership = m;
        save(m);
        followPoolTime(m);
        noticeRounds = Supervised.periodic("removal-notices", NOTICE_ROUND_MILLIS, NOTICE_ROUND_MILLIS, this::deliverNotices);
    }

    /**
     * A founder's host's time is the pool's; a member follows the member that admitted it (its
     * seed: the founder or an admitter, which follows the founder). A failure here costs the pool's time, never the membership: it is logged.
     */
    private void followPoolTime(PoolMembership m) {
        if (clockOffset == null) return;
        try {
            String seed = m.seeds().isEmpty() ? null : m.seeds().get(0);
            String admitter = seed == null || seed.lastIndexOf(':') < 1 ? null : seed.substring(0, seed.lastIndexOf(':'));
            if (seed != null && admitter == null) LOG.warning("the pool's seed '" + seed + "' names no host: this node keeps its host's time");
            if (seed == null && clockOffset.millis() != 0) clockOffset.set(0);
            clockSync = PoolClockSync.start(m.node(), m.admitter(), admitter, gossip.keys(), clockOffset);
        } catch (Exception e) {
            LOG.warning("cannot follow the pool's time: " + e);
        }
    }

    /**
     * A joiner takes the pool's time from the admitter's answer before it sends a packet: a
     * clock far off would have its gossip refused until the first exchange with the admitter set
     * it. The answer took its way through the host; the delay (well under a second) stays within
     * {@link PoolTime#TOLERANCE_MILLIS}, and that exchange corrects what is left.
     */
    private void takePoolTime(long admittedAtMillis) {
        if (clockOffset == null || admittedAtMillis < PeerRequest.TimeReply.EARLIEST_MILLIS || admittedAtMillis > PeerRequest.TimeReply.LATEST_MILLIS) return;
        java.util.OptionalLong applied = clockOffset.applied();
        if (applied.isEmpty()) return;
        java.util.OptionalLong next = PoolTime.follow(applied.getAsLong(), clock.getAsLong(), 0, admittedAtMillis);
        if (next.isEmpty()) return;
        try {
            clockOffset.set(next.getAsLong());
            LOG.info(String.format(java.util.Locale.ROOT, "taking the pool's time from the join: this clock moves %+.1f s",
                    (next.getAsLong() - applied.getAsLong()) / 1000.0));
        } catch (java.io.IOException e) {
            LOG.warning("cannot keep the pool's time from the join: " + e);
        }
    }

    /** Back on the host's time, once no exchange with an admitter can move the offset again. */
    private void stopFollowing(boolean resetOffset) {
        if (clockSync != null) clockSync.close();
        clockSync = null;
        if (!resetOffset || clockOffset == null) return;
        try {
            clockOffset.set(0);
        } catch (java.io.IOException e) {
            LOG.warning("cannot reset the pool's clock offset: " + e);
        }
    }

    /** A rotation happened (here, or handed to us): persist it so a restart keeps the new key. */
    private synchronized void keysChanged(PoolKeys keys) {
        if (membership == null) return;
        try {
            membership = keys.persisted(membership);
            save(membership);
        } catch (Exception e) {
            LOG.warning("cannot save the new pool key: " + e + " (a restart will need the founder to hand it again)");
        }
    }

    private void save(PoolMembership m) throws Exception {
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(m));
    }

    /** This node's load vector, from the same sources as the facts the host sees. */
    NodeInfo loadVector(PoolMembership s, FactsCollector facts) {
        try {
            NodeInfo i = facts.loadVector(s.node(), s.address(), s.port());
            Endpoint own = !s.overlayOn() || overlayDevice == null ? null : overlayDevice.endpoint();
            if (own == null) return i;
            return new NodeInfo(i.id(), i.address(), i.port(), i.cpus(), i.speed(), i.load(), i.freeMemKb(), i.jobs(), i.workDone(), own.toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read this node's facts: " + e.getMessage(), e);
        }
    }

    public synchronized PoolView view() throws Exception {
        if (gossip == null) {
            AgentFacts f = facts.collect();
            NodeInfo me = new NodeInfo(f.node(), f.address(), 0, f.cpus(), f.speed(), f.loadAverage()[0], f.memAvailableKb(), 0);
            return new PoolView(null, f.node(), List.of(new NodeView(me, 0, NodeState.ALIVE)), Map.of());
        }
        Map<String, Long> dropped = new LinkedHashMap<>();
        for (DropCounters.Reason r : DropCounters.Reason.values()) dropped.put(r.name().toLowerCase(), gossip.drops().get(r));
        dropped.put("refused_joins", refusedJoins.get());
        return new PoolView(membership.pool(), membership.node(), gossip.view(), dropped);
    }

    /** The gossiped view, or empty outside a pool. */
    public synchronized List<NodeView> members() {
        return gossip == null ? List.of() : gossip.view();
    }

    /** Whether this pool's migrations send pages unsealed (founded with --page-streams plain). */
    synchronized boolean plainPageStreams() {
        return membership != null && membership.plainPageStreams();
    }

    /** Whether this node reaches {@code node} through a relay (both unreachable from outside). */
    synchronized boolean relayed(String node) {
        return overlay != null && overlay.relayed(node);
    }

    /** The pool's keys, or null outside a pool. */
    synchronized PoolKeys keys() {
        return gossip == null ? null : gossip.keys();
    }

    /** Announces leaving, stops gossip and forgets the membership: a reboot does not rejoin. */
    public synchronized Map<String, String> leave() throws Exception {
        if (gossip == null) {
            downOverlay(); // one a failed start left behind
            return Map.of("left", "not in a pool");
        }
        String pool = membership.pool();
        gossip.leave();
        gossip = null;
        if (overlay != null) overlay.stop();
        overlay = null;
        downOverlay();
        stopFollowing(true);
        if (noticeRounds != null) noticeRounds.close();
        noticeRounds = null;
        for (RemovalNotices.Pending p : notices.pending()) {
            LOG.warning("leaving before " + p.waiting() + " heard that " + p.decoded().node() + " is removed; remove it again on the founder, "
                    + membership.authority());
        }
        membership = null;
        tokens.clear();
        admitted.clear();
        admitters.clear();
        notices.clear();
        Files.deleteIfExists(file);
        LOG.info("left pool " + pool);
        return Map.of("left", pool);
    }

    private void stopGossip() {
        if (noticeRounds != null) noticeRounds.close();
        noticeRounds = null;
        if (overlay != null) overlay.stop();
        overlay = null;
        stopFollowing(false);
        if (gossip != null) gossip.close();
        gossip = null;
    }
}

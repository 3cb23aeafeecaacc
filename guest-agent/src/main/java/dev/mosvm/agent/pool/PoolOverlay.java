package dev.mosvm.agent.pool;

import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.api.Endpoint;
import dev.mosvm.agent.overlay.OverlayAddresses;
import dev.mosvm.agent.overlay.OverlayDevice;
import dev.mosvm.agent.overlay.OverlayPeer;
import dev.mosvm.api.NodeView;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A member's overlay while it is in a pool whose overlay is on: the interface up with its
 * certified address, and its peers kept to the members it believes. A peer comes from a
 * certificate (key and address, the pool's word) and an endpoint: the one the member gossips,
 * else the one it gave when it joined or that its admitter handed on. Removed members' peers go.
 * Two members that nothing reaches from outside reach each other through a relay ({@link #wanted}).
 */
final class PoolOverlay implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PoolOverlay.class.getName());
    /** How often the peers are brought up to date with the gossip (a new member is reached within it). */
    static final long SYNC_MILLIS = 1000;

    private final OverlayDevice device;
    private final String self;
    /** The pool's founder: the relay of choice, when it can be reached (every member knows its name, and trusts it most). */
    private final String founder;
    private final Supplier<GossipService> gossip;
    private final Map<String, Endpoint> learned = new ConcurrentHashMap<>();
    /** Keeps the members' certificates with the membership: after a restart they are this node's only way to take anyone as a peer. */
    private final java.util.function.Consumer<List<String>> remember;
    private volatile List<String> remembered;
    private Supervised keeper;
    private volatile boolean stopped;

    PoolOverlay(OverlayDevice device, String self, String founder, Supplier<GossipService> gossip, java.util.function.Consumer<List<String>> remember) {
        this.device = device;
        this.self = self;
        this.founder = founder;
        this.gossip = gossip;
        this.remember = remember;
    }

    /** Brings the interface up as {@code address}, with where the admitter said the members are. */
    void up(Inet4Address address, Map<String, String> handedOn) throws Exception {
        handedOn.forEach((node, e) -> {
            Endpoint at = Endpoint.parseOrNull(e);
            if (at != null) learned.put(node, at);
        });
        device.up(address);
    }

    /** Brings the peers in line with the members believed, then keeps them so. */
    void keep() throws Exception {
        try {
            sync();
        } catch (Exception e) {
            LOG.warning("cannot set the overlay's peers yet (" + e.getMessage() + "); trying again every " + SYNC_MILLIS + " ms");
        }
        keeper = Supervised.periodic("overlay-peers", SYNC_MILLIS, SYNC_MILLIS, this::sync);
    }

    /** Where a member said its WireGuard port is (its join request), until its gossip says otherwise. */
    void learn(String node, Endpoint at) {
        if (at != null) learned.put(node, at);
    }

    /**
     * Applies the wanted peers when they changed, and every {@link #RECHECK_MILLIS} anyway (a peer
     * removed by hand comes back): asking the kernel costs a process, too much every second on an idle node.
     */
    void sync() throws Exception {
        GossipService g = gossip.get();
        if (g == null || stopped) return;
        Map<String, MemberCertificate> members = g.members();
        // a WireGuard packet from a member this node has no certificate for is dropped before any
        // gossip could teach it one: so the certificates are kept, and a restart begins from them.
        // Outside this object's lock: keeping them takes the membership's, which admit() holds while it syncs.
        List<String> keep = new ArrayList<>();
        for (MemberCertificate c : members.values()) {
            if (!c.node().equals(self) && !g.keys().revoked(c.node())) keep.add(java.util.Base64.getEncoder().encodeToString(c.encode()));
        }
        java.util.Collections.sort(keep);
        if (!keep.equals(remembered)) {
            remember.accept(keep);
            remembered = keep;
        }
        Collection<NodeView> view = g.view();
        departures.note(view, members);
        List<OverlayPeer> want = wanted(self, founder, device.endpoint() != null, members, g.keys()::revoked, view, learned, departures);
        java.util.Set<java.net.Inet4Address> through = new java.util.HashSet<>();
        for (OverlayPeer p : want) through.addAll(p.relayed());
        java.util.Set<String> nodes = new java.util.HashSet<>();
        for (MemberCertificate c : members.values()) if (c.overlay() != null && through.contains(c.overlay().address())) nodes.add(c.node());
        relayedNodes = java.util.Set.copyOf(nodes);
        apply(want);
    }

    private volatile java.util.Set<String> relayedNodes = java.util.Set.of();

    /** Whether this node reaches {@code node} through a relay, as of the last sync. */
    boolean relayed(String node) {
        return relayedNodes.contains(node);
    }

    private final Departures departures = new Departures();

    /**
     * The certificate each member held when this node saw it leave. A member that left is no peer
     * until it comes back with a newer certificate (an admission); its entry stays LEFT until its
     * own gossip says otherwise, and that gossip travels only once it is a peer again.
     */
    static final class Departures {
        private final Map<String, MemberCertificate> leftWith = new ConcurrentHashMap<>();
        private final Map<String, dev.mosvm.api.NodeState> seen = new ConcurrentHashMap<>();

        /** Records, for each member whose entry turned LEFT since the last call, the certificate it held. */
        void note(Collection<NodeView> view, Map<String, MemberCertificate> members) {
            for (NodeView v : view) {
                String node = v.info().id();
                dev.mosvm.api.NodeState before = seen.put(node, v.state());
                if (v.state() == dev.mosvm.api.NodeState.LEFT && before != dev.mosvm.api.NodeState.LEFT) {
                    MemberCertificate c = members.get(node);
                    if (c != null) leftWith.put(node, c);
                } else if (v.state() != dev.mosvm.api.NodeState.LEFT) {
                    leftWith.remove(node); // its own signed entry says it is back, whichever certificate reached here
                }
            }
            seen.keySet().retainAll(members.keySet());
            leftWith.keySet().retainAll(members.keySet());
        }

        /** Whether {@code c} is the certificate (or an older one than) its member left with. */
        boolean departed(MemberCertificate c) {
            MemberCertificate then = leftWith.get(c.node());
            return then != null && (c.issuedAtSeconds() < then.issuedAtSeconds() || c.equals(then));
        }
    }

    private synchronized void apply(List<OverlayPeer> want) throws Exception {
        if (stopped) return;
        long now = System.nanoTime();
        if (want.equals(applied) && now - appliedAt < RECHECK_MILLIS * 1_000_000) return;
        device.peers(want);
        applied = want;
        appliedAt = now;
    }

    static final long RECHECK_MILLIS = 30_000;
    private List<OverlayPeer> applied;
    private long appliedAt;

    /** At most this many endpoints go in a join answer (the agent's API body limit; the rest the joiner learns by gossip). */
    static final int HANDED_ON_ENDPOINTS = 256;

    /** Where this node and the live members it knows are reached, for a joiner to reach them before any gossip. */
    Map<String, String> endpoints() {
        Map<String, String> out = new HashMap<>();
        java.util.Set<String> inView = new java.util.HashSet<>();
        GossipService g = gossip.get();
        if (g != null) {
            for (NodeView v : g.view()) {
                inView.add(v.info().id());
                Endpoint at = Endpoint.parseOrNull(v.info().endpoint());
                if (at == null || v.state() == dev.mosvm.api.NodeState.DEAD || v.state() == dev.mosvm.api.NodeState.LEFT
                        || g.keys().revoked(v.info().id()) || out.size() >= HANDED_ON_ENDPOINTS) continue;
                out.put(v.info().id(), at.toString());
            }
        }
        for (Map.Entry<String, Endpoint> e : learned.entrySet()) {
            if (out.size() >= HANDED_ON_ENDPOINTS) break;
            // a member that gossips says itself where it is, or that nothing reaches it: what it gave at its join is stale
            if (inView.contains(e.getKey())) continue;
            if (g == null || !g.keys().revoked(e.getKey())) out.putIfAbsent(e.getKey(), e.getValue().toString());
        }
        Endpoint own = device.endpoint();
        if (own != null) out.put(self, own.toString());
        return out;
    }

    /**
     * The peers this node should have: every member it believes but itself and the removed, with
     * the best endpoint known. When nothing reaches this node from outside ({@code reachable}
     * false: it advertises no endpoint), members that advertise none either cannot be reached
     * directly, neither side able to call the other: they go through a relay, a member that
     * advertises an endpoint and is not dead: the founder if it is one, else the lowest-named.
     * Both ends of such a pair pick it by the same rule from the same gossip, so each one's packets
     * come back through the peer it sends them to. Before any gossip (a joiner, a restart) the
     * endpoints the admitter handed on stand in for it, so two unreachable members can meet.
     */
    static List<OverlayPeer> wanted(String self, String founder, boolean reachable, Map<String, MemberCertificate> members,
            Predicate<String> removed, Collection<NodeView> view, Map<String, Endpoint> learned, Departures departures) {
        // a member's gossiped endpoint beats the one handed on at its join; and a live member's entry
        // saying none has the last word (`up --endpoint none` after a join that gave one)
        Map<String, Endpoint> gossiped = new HashMap<>();
        java.util.Set<String> live = new java.util.HashSet<>();
        java.util.Set<String> saysNone = new java.util.HashSet<>();
        for (NodeView v : view) {
            Endpoint at = Endpoint.parseOrNull(v.info().endpoint());
            boolean isLive = v.state() != dev.mosvm.api.NodeState.DEAD && v.state() != dev.mosvm.api.NodeState.LEFT;
            if (at != null) gossiped.put(v.info().id(), at);
            if (isLive) live.add(v.info().id());
            if (isLive && at == null) saysNone.add(v.info().id());
        }
        List<MemberCertificate> peers = new ArrayList<>();
        for (MemberCertificate c : members.values()) {
            // a member that left comes back only through an admission, which certifies it again
            if (c.node().equals(self) || removed.test(c.node()) || departures.departed(c) || c.overlay() == null
                    || !OverlayAddresses.contains(c.overlay().address())) continue;
            peers.add(c);
        }
        java.util.function.Function<MemberCertificate, Endpoint> endpoint = c -> saysNone.contains(c.node()) ? null
                : gossiped.getOrDefault(c.node(), learned.get(c.node()));
        String relay = null;
        if (!reachable) {
            List<String> candidates = peers.stream().filter(c -> live.contains(c.node()) && gossiped.containsKey(c.node()))
                    .map(MemberCertificate::node).toList();
            if (candidates.isEmpty() && live.stream().allMatch(self::equals)) { // nothing gossiped yet (a joiner, a restart): what the admitter handed on
                candidates = peers.stream().filter(c -> learned.get(c.node()) != null).map(MemberCertificate::node).toList();
            }
            relay = candidates.contains(founder) ? founder : candidates.stream().min(String::compareTo).orElse(null);
        }
        List<java.net.Inet4Address> relayed = new ArrayList<>();
        for (MemberCertificate c : peers) {
            if (relay != null && endpoint.apply(c) == null) relayed.add(c.overlay().address());
        }
        relayed.sort(java.util.Comparator.comparing(java.net.Inet4Address::getHostAddress));
        List<OverlayPeer> out = new ArrayList<>();
        for (MemberCertificate c : peers) {
            Endpoint at = endpoint.apply(c);
            if (relay != null && at == null) continue; // through the relay: its peer carries this member's address
            out.add(new OverlayPeer(c.node(), c.overlay().wireguardKeyBase64(), c.overlay().address(), at,
                    c.node().equals(relay) ? relayed : List.of()));
        }
        out.sort(java.util.Comparator.comparing(OverlayPeer::node));
        return out;
    }

    /** Stops keeping the peers (the interface stays: {@link Membership} removes it when the node leaves). */
    synchronized void stop() {
        stopped = true; // a run of the keeper already under way applies nothing after this
        if (keeper != null) keeper.close();
        keeper = null;
    }

    @Override
    public void close() {
        stop();
    }
}

package dev.mosvm.agent.gossip;

import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One agent's load-information gossip (Barak & Drezner; Amar, Barak, Drezner & Peer): every
 * interval, send the window of youngest entries, own fresh entry first, to one random peer;
 * keep per node the freshest entry heard. As in MOSIX, where every node knows the pool from
 * its map, the random peer is drawn from the whole membership: windows of young entries
 * alone would only ever carry the few nodes that talked to us last, and the pool would split
 * into cliques. So a node that hears from a sender it does not know (a joiner, or a node back
 * from the dead) answers with its whole board, and membership stays complete.
 *
 * <p>A pure state machine: time and messages in,
 * messages and views out. No clock, thread or socket here, so the agent and the simulator
 * run exactly this code.
 */
public final class GossipNode {
    private final GossipConfig cfg;
    private final RandomGenerator random;
    private final BulletinBoard board;
    private final NodeIds ids;
    private final BroadcastQueue broadcasts = new BroadcastQueue();
    private final int selfSlot;
    private NodeInfo self;
    private boolean leaving;
    private final List<String[]> seeds = new ArrayList<>();
    /** Nodes removed from the pool: their entries are dropped and never taken again. */
    private final java.util.BitSet banned = new java.util.BitSet();
    /** Whether a seed has answered with its board. Until then every tick asks a seed again. */
    private boolean joined = true;
    private long lastForget = Long.MIN_VALUE;
    private long ticks;
    private final long syncPhase;
    /** Signs this node's own entry (null: entries go unsigned, as in the simulator). */
    private EntryProof.Signer signer;

    public GossipNode(NodeInfo self, GossipConfig cfg, RandomGenerator random, NodeIds ids) {
        this.cfg = cfg;
        this.random = random;
        this.board = new BulletinBoard(ids, cfg.window());
        this.ids = ids;
        this.syncPhase = random.nextInt(cfg.syncEveryIntervals()); // spread syncs over the period
        this.self = self;
        this.selfSlot = ids.intern(self.id());
    }

    public String id() {
        return self.id();
    }

    /** This node's own facts, as it last updated them. */
    public NodeInfo self() {
        return self;
    }

    /** From now on this node's own entry goes out signed by {@code signer}. */
    public void signWith(EntryProof.Signer signer) {
        this.signer = signer;
    }

    private WireEntry ownEntry() {
        return new WireEntry(self, 0, leaving, signer == null ? null : signer.sign(self, leaving));
    }

    /** New local facts; they go out with the next message. */
    public void updateSelf(NodeInfo info) {
        if (!info.id().equals(self.id())) throw new IllegalArgumentException("a node cannot change its id");
        self = info;
    }

    /** Addresses to contact while no peer is known (the pool's seeds, or the node joined through). */
    public void addSeed(String address, int port) {
        seeds.add(new String[] {address, String.valueOf(port)});
        joined = false;
    }

    /** Whether this node has received a seed's board (a node started without seeds founds a pool). */
    public boolean joined() {
        return joined;
    }

    /**
     * Called every interval: ages advance, forgotten entries go, and one message goes to a
     * random live peer (or to a seed while none is known).
     */
    public List<Outbound> onTick(long now) {
        board.set(now, self, leaving);
        // Forgetting scans the board: do it a few times per forget period, not every tick.
        if (lastForget == Long.MIN_VALUE || now - lastForget >= cfg.forgetAfterMillis() / 8) {
            forget(now);
            lastForget = now;
        }
        if (!joined) { // ask a seed for its board; it always answers a SYNC
            String[] s = seeds.get(random.nextInt(seeds.size()));
            List<Outbound> out = new ArrayList<>();
            for (GossipMessage part : fullState(now, GossipMessage.Kind.SYNC)) out.add(new Outbound(s[0], Integer.parseInt(s[1]), part));
            return out;
        }
        GossipMessage msg = message(now);
        int peer = randomPeer(now);
        if (peer >= 0) {
            NodeInfo p = board.info(peer);
            if (ticks++ % cfg.syncEveryIntervals() == syncPhase) {
                List<Outbound> out = new ArrayList<>();
                for (GossipMessage part : fullState(now, GossipMessage.Kind.SYNC)) out.add(new Outbound(p.address(), p.port(), part));
                return out;
            }
            return List.of(new Outbound(p.address(), p.port(), msg));
        }
        if (!seeds.isEmpty()) {
            String[] s = seeds.get(random.nextInt(seeds.size()));
            return List.of(new Outbound(s[0], Integer.parseInt(s[1]), msg));
        }
        return List.of();
    }

    /**
     * Merges a peer's entries. If the sender was unknown (or dead) to us, the answer is our
     * whole board, so a joiner learns the pool from the first node it reaches.
     */
    public List<Outbound> onMessage(long now, GossipMessage msg) {
        if (msg.entries().isEmpty()) return List.of();
        int sender = ids.intern(msg.sender());
        if (banned.get(sender)) return List.of();
        if (msg.kind() == GossipMessage.Kind.SYNC_REPLY) joined = true;
        boolean newcomer = sender != selfSlot && (!board.has(sender) || state(sender, now) == NodeState.DEAD);
        boolean wholeBoard = msg.kind() != GossipMessage.Kind.GOSSIP;
        for (int i = 0; i < msg.entries().size(); i++) {
            WireEntry e = msg.entries().get(i);
            if (e.info().id().equals(self.id())) continue; // nobody knows us better than we do
            if (banned.get(ids.intern(e.info().id()))) continue; // peers that have not heard of the removal yet
            // A whole board is news to us, not to the pool: passing it all on would bury
            // real news (a joiner) under thousands of old members. Its sender's own entry is.
            if (board.merge(now, e) == BulletinBoard.MEMBERSHIP_NEWS && (!wholeBoard || i == 0)) {
                broadcasts.add(ids.intern(e.info().id()), board.size());
            }
        }
        boolean syncAsked = msg.kind() == GossipMessage.Kind.SYNC;
        if (msg.kind() == GossipMessage.Kind.SYNC_REPLY || board.left(sender) || !(newcomer || syncAsked)) return List.of();
        // a board in several parts is answered once, on its first part
        if (sender == seenSyncFrom && now - seenSyncAt < cfg.intervalMillis()) return List.of();
        NodeInfo to = msg.entries().get(0).info();
        List<Outbound> out = new ArrayList<>();
        seenSyncFrom = sender;
        seenSyncAt = now;
        for (GossipMessage part : fullState(now, GossipMessage.Kind.SYNC_REPLY)) out.add(new Outbound(to.address(), to.port(), part));
        return out;
    }

    private int seenSyncFrom = -1;
    private long seenSyncAt;

    /**
     * The whole board in messages of at most {@link GossipCodec#MAX_ENTRIES} entries and
     * {@link GossipCodec#MAX_PART_BYTES} bytes, own entry first in each.
     */
    List<GossipMessage> fullState(long now, GossipMessage.Kind kind) {
        board.set(now, self, leaving);
        WireEntry own = ownEntry();
        int base = GossipCodec.headerSize(self.id()) + GossipCodec.entrySize(own);
        List<GossipMessage> parts = new ArrayList<>();
        List<WireEntry> cur = new ArrayList<>(List.of(own));
        int bytes = base;
        for (int i = 0; i < board.size(); i++) {
            int s = board.slotAt(i);
            if (s == selfSlot) continue;
            WireEntry e = board.entry(s, now);
            int size = GossipCodec.entrySize(e);
            if (cur.size() == GossipCodec.MAX_ENTRIES || bytes + size > GossipCodec.MAX_PART_BYTES) {
                parts.add(new GossipMessage(self.id(), kind, cur));
                cur = new ArrayList<>(List.of(own));
                bytes = base;
            }
            cur.add(e);
            bytes += size;
        }
        parts.add(new GossipMessage(self.id(), kind, cur));
        return parts;
    }

    /**
     * Leaving: our entry is marked LEFT and sent at once to every live peer, so they drop us
     * now rather than after the dead threshold; it keeps spreading by gossip for the rest.
     */
    public List<Outbound> leave(long now) {
        leaving = true;
        board.set(now, self, true);
        broadcasts.add(selfSlot, board.size());
        GossipMessage msg = message(now);
        List<Outbound> out = new ArrayList<>();
        for (int i = 0; i < board.size(); i++) {
            int s = board.slotAt(i);
            if (s != selfSlot && state(s, now) != NodeState.DEAD && !board.left(s)) {
                out.add(new Outbound(board.info(s).address(), board.info(s).port(), msg));
            }
        }
        return out;
    }

    /** A node removed from the pool: gone from the board now, and never taken back from peers. */
    public void ban(String id) {
        if (id.equals(self.id())) return;
        int slot = ids.intern(id);
        banned.set(slot);
        if (board.has(slot)) board.remove(slot);
    }

    /** Everything this node knows, itself included, with ages and states as of now. */
    public List<NodeView> view(long now) {
        List<NodeView> out = new ArrayList<>(board.size() + 1);
        if (!board.has(selfSlot)) out.add(new NodeView(self, 0, selfState())); // before the first tick
        for (int i = 0; i < board.size(); i++) {
            int s = board.slotAt(i);
            long age = s == selfSlot ? 0 : board.age(s, now);
            out.add(new NodeView(s == selfSlot ? self : board.info(s), age, s == selfSlot ? selfState() : state(s, now)));
        }
        out.sort((a, b) -> a.info().id().compareTo(b.info().id()));
        return out;
    }

    /** Age of what this node holds about {@code id}, or -1 if nothing. */
    public long ageOf(int slot, long now) {
        return board.has(slot) ? (slot == selfSlot ? 0 : board.age(slot, now)) : -1;
    }

    /** This tick's message, to a given node on the board (nothing if it is not known). */
    public List<Outbound> messageTo(String id, long now) {
        int slot = ids.intern(id);
        if (!board.has(slot) || slot == selfSlot) return List.of();
        NodeInfo to = board.info(slot);
        return List.of(new Outbound(to.address(), to.port(), message(now)));
    }

    /** Own entry, then membership news (up to a quarter of the window), then the youngest entries. */
    GossipMessage message(long now) {
        WireEntry[] young = board.youngest(now);
        int[] news = broadcasts.take(Math.max(1, cfg.window() / 4));
        List<WireEntry> out = new ArrayList<>(young.length + news.length + 1);
        // Own entry first, explicitly: another entry can share its millisecond stamp (heard
        // at the tick's own millisecond with age 0) and then sort ahead of it in the window.
        WireEntry own = ownEntry();
        out.add(own);
        int bytes = GossipCodec.headerSize(self.id()) + GossipCodec.entrySize(own);
        for (int s : news) {
            if (board.has(s) && s != selfSlot) {
                WireEntry e = board.entry(s, now);
                bytes += GossipCodec.entrySize(e);
                if (bytes > GossipCodec.MAX_PART_BYTES || out.size() == GossipCodec.MAX_ENTRIES) return new GossipMessage(self.id(), out);
                out.add(e);
            }
        }
        for (WireEntry e : young) {
            int s = ids.intern(e.info().id());
            if (s != selfSlot && !contains(news, s)) {
                bytes += GossipCodec.entrySize(e);
                if (bytes > GossipCodec.MAX_PART_BYTES || out.size() == GossipCodec.MAX_ENTRIES) break; // a window larger than a datagram holds: the oldest wait
                out.add(e);
            }
        }
        return new GossipMessage(self.id(), out);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    private NodeState selfState() {
        return leaving ? NodeState.LEFT : NodeState.ALIVE;
    }

    NodeState state(int slot, long now) {
        if (board.left(slot)) return NodeState.LEFT;
        long age = board.age(slot, now);
        if (age > cfg.deadAfterMillis()) return NodeState.DEAD;
        return age > cfg.suspectAfterMillis() ? NodeState.SUSPECT : NodeState.ALIVE;
    }

    private int randomPeer(long now) {
        int n = board.size();
        if (n <= 1) return -1;
        for (int tries = 0; tries < 8; tries++) { // usually the first pick is fine
            int s = board.slotAt(random.nextInt(n));
            if (eligible(s, now)) return s;
        }
        int[] candidates = new int[n];
        int c = 0;
        for (int i = 0; i < n; i++) if (eligible(board.slotAt(i), now)) candidates[c++] = board.slotAt(i);
        return c == 0 ? -1 : candidates[random.nextInt(c)];
    }

    private boolean eligible(int s, long now) {
        return s != selfSlot && !board.left(s) && board.age(s, now) <= cfg.deadAfterMillis();
    }

    private void forget(long now) {
        for (int i = board.size() - 1; i >= 0; i--) {
            int s = board.slotAt(i);
            if (s != selfSlot && board.age(s, now) > cfg.forgetAfterMillis()) board.remove(s);
        }
    }
}

package dev.mosvm.agent.gossip;

import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One agent's load-information gossip (Barak & Drezner; Amar, Barak, Drezner & Peer): every
 * interval, send the window of youngest entries, own fresh entry first, to one random peer;
 * keep per node the freshest entry heard. A pure state machine: time and messages in,
 * messages and views out. No clock, thread or socket here, so the agent and the simulator
 * run exactly this code.
 */
public final class GossipNode {
    private final GossipConfig cfg;
    private final RandomGenerator random;
    private final BulletinBoard board;
    private final int selfSlot;
    private NodeInfo self;
    private boolean leaving;
    private final List<String[]> seeds = new ArrayList<>();
    private long lastForget = Long.MIN_VALUE;

    public GossipNode(NodeInfo self, GossipConfig cfg, RandomGenerator random, NodeIds ids) {
        this.cfg = cfg;
        this.random = random;
        this.board = new BulletinBoard(ids, cfg.window());
        this.self = self;
        this.selfSlot = ids.intern(self.id());
    }

    public String id() {
        return self.id();
    }

    public GossipConfig config() {
        return cfg;
    }

    /** New local facts; they go out with the next message. */
    public void updateSelf(NodeInfo info) {
        if (!info.id().equals(self.id())) throw new IllegalArgumentException("a node cannot change its id");
        self = info;
    }

    /** Addresses to contact while no peer is known (the pool's seeds, or the node joined through). */
    public void addSeed(String address, int port) {
        seeds.add(new String[] {address, String.valueOf(port)});
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
        GossipMessage msg = message(now);
        int peer = randomPeer(now);
        if (peer >= 0) {
            NodeInfo p = board.info(peer);
            return List.of(new Outbound(p.address(), p.port(), msg));
        }
        if (!seeds.isEmpty()) {
            String[] s = seeds.get(random.nextInt(seeds.size()));
            return List.of(new Outbound(s[0], Integer.parseInt(s[1]), msg));
        }
        return List.of();
    }

    /** Merges a peer's entries; returns how many were news. */
    public int onMessage(long now, GossipMessage msg) {
        int news = 0;
        for (WireEntry e : msg.entries()) {
            if (e.info().id().equals(self.id())) continue; // nobody knows us better than we do
            if (board.merge(now, e)) news++;
        }
        return news;
    }

    /**
     * Leaving: our entry is marked LEFT and sent at once to every live peer, so they drop us
     * now rather than after the dead threshold; it keeps spreading by gossip for the rest.
     */
    public List<Outbound> leave(long now) {
        leaving = true;
        board.set(now, self, true);
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

    int knownCount() {
        return board.size();
    }

    /** Sum of ages over known live entries (for the simulator's mean-age figure). */
    long sumAges(long now, long[] maxOut) {
        long sum = 0;
        long max = 0;
        for (int i = 0; i < board.size(); i++) {
            int s = board.slotAt(i);
            if (s == selfSlot || board.left(s)) continue;
            long a = board.age(s, now);
            sum += a;
            max = Math.max(max, a);
        }
        maxOut[0] = max;
        return sum;
    }

    GossipMessage message(long now) {
        return new GossipMessage(self.id(), Arrays.asList(board.youngest(now)));
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

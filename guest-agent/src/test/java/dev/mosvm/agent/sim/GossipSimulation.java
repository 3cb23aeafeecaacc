package dev.mosvm.agent.sim;

import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.gossip.GossipMessage;
import dev.mosvm.agent.gossip.GossipNode;
import dev.mosvm.agent.gossip.NodeIds;
import dev.mosvm.agent.gossip.Outbound;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Runs many {@link GossipNode}s, the agent's own code, over a simulated clock and network:
 * each node ticks every interval at its own phase, messages arrive after a random latency
 * or are lost, nodes join and fail. Deterministic for a seed: same inputs, same figures.
 */
public final class GossipSimulation {
    public record Params(int nodes, GossipConfig config, double lossRate, long maxLatencyMillis, long seed) {}

    /**
     * Figures of one run. Ages are in intervals, times in seconds.
     *
     * @param meanAge        mean age of the entries live nodes hold about live nodes (steady state)
     * @param maxAge         largest such age seen in the steady-state samples
     * @param spreadSeconds  time until a node that joined is known to 99.9 % of nodes
     * @param detectSeconds  time until a killed node is DEAD for 99.9 % of the rest (-1: not measured)
     * @param bytesPerNodePerSecond gossip traffic per node, sent plus received
     */
    public record Result(int nodes, int window, double lossRate, double meanAge, double maxAge, double spreadSeconds,
                         double detectSeconds, double bytesPerNodePerSecond, double wallSeconds) {}

    private record Event(long time, int node, GossipMessage message, long seq) {}

    private final Params p;
    private final SplittableRandom random;
    private final NodeIds ids = new NodeIds();
    private final List<GossipNode> nodes = new ArrayList<>();
    private final List<Boolean> alive = new ArrayList<>();
    private int[] slots = new int[16];
    private final Map<String, Integer> byAddress = new HashMap<>();
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
            a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private long seq;
    private long now;
    private long bytes;

    public GossipSimulation(Params p) {
        this.p = p;
        this.random = new SplittableRandom(p.seed());
    }

    private int addNode(int seedNode) {
        int i = nodes.size();
        String address = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
        NodeInfo info = new NodeInfo("n" + i, address, 7946, 1 + i % 4, 0.5 + (i % 3) * 0.5, 0, 1 << 20, 0);
        GossipNode g = new GossipNode(info, p.config(), random.split(), ids);
        if (seedNode >= 0) g.addSeed(nodes.get(seedNode).view(now).get(0).info().address(), 7946);
        nodes.add(g);
        alive.add(true);
        if (i == slots.length) slots = java.util.Arrays.copyOf(slots, i * 2);
        slots[i] = ids.intern(info.id());
        byAddress.put(address, i);
        queue.add(new Event(now + random.nextLong(p.config().intervalMillis()), i, null, seq++));
        return i;
    }

    /** Advances the clock to {@code until}, processing ticks and deliveries in time order. */
    private void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().time <= until) {
            Event e = queue.poll();
            now = e.time;
            if (!alive.get(e.node)) continue;
            GossipNode g = nodes.get(e.node);
            if (e.message == null) {
                for (Outbound o : g.onTick(now)) send(o);
                queue.add(new Event(now + p.config().intervalMillis(), e.node, null, seq++));
            } else {
                for (Outbound o : g.onMessage(now, e.message)) send(o);
            }
        }
        now = until;
    }

    private void send(Outbound o) {
        int size = GossipCodec.encodedSize(o.message());
        bytes += size; // sent
        if (random.nextDouble() < p.lossRate()) return;
        Integer to = byAddress.get(o.address());
        if (to == null || !alive.get(to)) return;
        bytes += size; // received
        queue.add(new Event(now + 1 + random.nextLong(Math.max(1, p.maxLatencyMillis())), to, o.message(), seq++));
    }

    /** Mean and max age (ms) over live nodes' entries about other live nodes. */
    private double[] ages() {
        double sum = 0;
        long count = 0;
        long maxAll = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (!alive.get(i)) continue;
            GossipNode g = nodes.get(i);
            for (int j = 0; j < nodes.size(); j++) {
                if (j == i || !alive.get(j)) continue;
                long a = g.ageOf(slots[j], now);
                if (a < 0) continue;
                sum += a;
                count++;
                if (a > maxAll) maxAll = a;
            }
        }
        return new double[] {count == 0 ? 0 : sum / count, maxAll};
    }

    private double fractionKnowing(int target, boolean dead) {
        int slot = slots[target];
        int yes = 0;
        int total = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (i == target || !alive.get(i)) continue;
            total++;
            long a = nodes.get(i).ageOf(slot, now);
            if (dead ? (a < 0 || a > p.config().deadAfterMillis()) : a >= 0) yes++;
        }
        return total == 0 ? 1 : yes / (double) total;
    }

    /**
     * Forms the pool as pools form, by joining (each node through a random member, spread
     * over N/50 intervals, so many joins overlap), lets it settle, samples
     * ages for {@code measureIntervals}, then adds a node and measures its spread, then kills
     * one and measures detection (if {@code measureDetection}).
     */
    public Result run(int measureIntervals, boolean measureDetection) {
        long t0 = System.nanoTime();
        long iv = p.config().intervalMillis();
        long joinSpan = Math.max(10, p.nodes() / 50) * iv;
        for (int i = 0; i < p.nodes(); i++) {
            runUntil(joinSpan * i / p.nodes());
            addNode(i == 0 ? -1 : random.nextInt(i));
        }
        // settle: the ages' steady state takes a few times N/window intervals
        long settle = (long) (3.0 * p.nodes() / p.config().window() + 4 * Math.log(p.nodes()) + 20) * iv;
        runUntil(now + settle);
        long bytesBefore = bytes;
        long measureStart = now;
        int stride = Math.max(1, measureIntervals / 20);
        double meanSum = 0;
        int samples = 0;
        double maxAge = 0;
        for (int k = 1; k <= measureIntervals; k++) {
            runUntil(measureStart + k * iv);
            if (k % stride == 0) {
                double[] a = ages();
                meanSum += a[0];
                samples++;
                maxAge = Math.max(maxAge, a[1]);
            }
        }
        double traffic = (bytes - bytesBefore) / (double) p.nodes() / ((now - measureStart) / 1000.0);

        int joiner = addNode(random.nextInt(p.nodes()));
        long joinedAt = now;
        double spread = -1;
        for (int k = 1; k <= 20 * (p.nodes() / p.config().window() + 50); k++) {
            runUntil(joinedAt + k * iv / 4);
            if (fractionKnowing(joiner, false) >= 0.999) {
                spread = (now - joinedAt) / 1000.0;
                break;
            }
        }

        double detect = -1;
        if (measureDetection) {
            int victim = random.nextInt(p.nodes());
            alive.set(victim, false);
            long killedAt = now;
            for (int k = 1; k <= 4 * p.config().forgetAfterMillis() / iv; k++) {
                runUntil(killedAt + k * iv);
                if (fractionKnowing(victim, true) >= 0.999) {
                    detect = (now - killedAt) / 1000.0;
                    break;
                }
            }
        }
        return new Result(p.nodes(), p.config().window(), p.lossRate(), meanSum / Math.max(1, samples) / iv,
                maxAge / iv, spread, detect, traffic, (System.nanoTime() - t0) / 1e9);
    }

    /** The state every live node holds about every other (for convergence checks). */
    public List<List<NodeState>> states() {
        List<List<NodeState>> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (!alive.get(i)) continue;
            out.add(nodes.get(i).view(now).stream().map(v -> v.state()).toList());
        }
        return out;
    }

    /** The analytical bound on the mean age, in intervals: N/w + ln N + 2. */
    public static double meanAgeBound(int n, int window) {
        return (double) n / window + Math.log(n) + 2;
    }

    /** The push-epidemic spread bound in rounds (Pittel): log2 N + ln N. */
    public static double epidemicRounds(int n) {
        return Math.log(n) / Math.log(2) + Math.log(n);
    }
}

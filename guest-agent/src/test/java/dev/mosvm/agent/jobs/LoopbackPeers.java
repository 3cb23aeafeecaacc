package dev.mosvm.agent.jobs;

import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A pool as a test sets it: every node's gossip state, and real peer channels over loopback,
 * whose far ends the test reads and writes as the other node would.
 */
final class LoopbackPeers implements PeerDirectory {
    /** Each node's state in this node's view; a node not here is not a member. */
    final Map<String, NodeState> states = new ConcurrentHashMap<>();
    /** Every connect fails while set (a network down). */
    volatile boolean unreachable;
    /** The other nodes' ends of the channels this node opened, in order. */
    final BlockingQueue<PeerChannel> farEnds = new LinkedBlockingQueue<>();
    /** The node each far end plays. */
    final Map<PeerChannel, String> nodeOf = new ConcurrentHashMap<>();
    private final String self;

    LoopbackPeers(String self, Map<String, NodeState> states) {
        this.self = self;
        this.states.putAll(states);
    }

    @Override
    public List<String> alivePeers() {
        return states.entrySet().stream().filter(e -> e.getValue() == NodeState.ALIVE && !e.getKey().equals(self))
                .map(Map.Entry::getKey).sorted().toList();
    }

    @Override
    public Optional<NodeState> state(String node) {
        return Optional.ofNullable(states.get(node));
    }

    @Override
    public PeerChannel connect(String node) throws IOException {
        if (unreachable) throw new IOException("no route to " + node);
        PeerChannel[] ends = LoopbackChannels.pair(LoopbackChannels.keys(node, 5, List.of()), node,
                LoopbackChannels.keys(self, 5, List.of()), self);
        nodeOf.put(ends[0], node);
        farEnds.add(ends[0]);
        return ends[1];
    }
}

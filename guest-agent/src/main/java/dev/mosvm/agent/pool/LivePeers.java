package dev.mosvm.agent.pool;

import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.wire.ProtocolMismatchException;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Optional;

/** The job service's view of the pool: live members from gossip, channels keyed by the pool's key. */
public final class LivePeers implements PeerDirectory {
    private static final int CONNECT_TIMEOUT_MS = 5000;
    private final Membership pool;
    private final String self;
    private final int port;

    public LivePeers(Membership pool, String self, int port) {
        this.pool = pool;
        this.self = self;
        this.port = port;
    }

    @Override
    public List<String> alivePeers() {
        return pool.members().stream().filter(n -> n.state() == NodeState.ALIVE && !n.info().id().equals(self))
                .map(n -> n.info().id()).toList();
    }

    @Override
    public Optional<NodeState> state(String node) {
        return find(node).map(NodeView::state);
    }

    @Override
    public boolean plainPageStreams(String peer) {
        return pool.plainPageStreams() && !pool.relayed(peer);
    }

    @Override
    public PeerChannel connect(String node) throws IOException {
        PoolKeys keys = pool.keys();
        if (keys == null) return PeerDirectory.NONE.connect(node);
        NodeView v = find(node).orElseThrow(() -> new IOException("no node named '" + node + "' in the pool"));
        if (v.state() != NodeState.ALIVE) throw new IOException("node " + node + " is " + v.state().name().toLowerCase());
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(v.info().address(), port), CONNECT_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            return PeerChannel.connect(s, keys, self, node);
        } catch (ProtocolMismatchException e) {
            throw e; // reached, and it says why it cannot be talked to
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot reach " + node + " (" + e.getMessage() + ")");
        }
    }

    /** The membership these peers come from (the peer server hands it membership requests). */
    Membership membership() {
        return pool;
    }

    /** Accepts a peer's connection, proving and checking the pool key. */
    PeerChannel accept(Socket s) throws IOException {
        PoolKeys keys = pool.keys();
        if (keys == null) throw new IOException("not in a pool");
        return PeerChannel.accept(s, keys, self);
    }

    private Optional<NodeView> find(String node) {
        return pool.members().stream().filter(n -> n.info().id().equals(node)).findFirst();
    }
}

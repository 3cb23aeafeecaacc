package dev.mosvm.agent.jobs;

import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.recovery.RunnerWatch;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Whereabouts;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** The pool as the job service needs it: who is alive, and an authenticated channel to them. */
public interface PeerDirectory {
    /** TCP port of every agent's peer service. */
    int PORT = 7444;

    /** Live pool members other than this node. */
    List<String> alivePeers();

    /** {@code node}'s state in this node's gossiped view; empty if it is not a member (removed, forgotten, or never was). */
    Optional<NodeState> state(String node);

    /** True if the gossiped view has declared {@code node} dead (or it left, or was removed). */
    default boolean isGone(String node) {
        return RunnerWatch.isGone(state(node));
    }

    /**
     * Whether a migration's page streams to or from {@code peer} may cross the network unsealed:
     * the pool was founded with {@code --page-streams plain} (one machine, or a network the pool
     * trusts, or the overlay, which seals every packet), and no relay sits between this node and
     * the peer (a relay would see the job's memory between its two WireGuard legs). Both ends
     * answer alike: the relay between two members is their common choice.
     */
    default boolean plainPageStreams(String peer) {
        return false;
    }

    /** Opens a channel to {@code node}'s agent, or fails with a one-line reason. */
    PeerChannel connect(String node) throws IOException;

    /**
     * Whether {@code node}'s agent runs {@code job} now, or where it went from there (HAS); null
     * if it gives no answer within {@code timeoutMillis} (unreachable, an error, an answer it
     * cannot read): no answer says nothing about the job.
     */
    default Whereabouts has(String node, String job, long timeoutMillis) {
        try (PeerChannel c = connect(node)) {
            c.readTimeout(Math.max(1, timeoutMillis));
            PeerRequest.write(c.out, PeerRequest.has(job));
            Frame f = FrameCodec.read(c.in);
            if (f != null && f.type() == MessageType.REPLY) return Whereabouts.of(f);
        } catch (IOException | RuntimeException e) {
            // no answer
        }
        return null;
    }

    /** A directory for nodes outside any pool: no peers. */
    PeerDirectory NONE = new PeerDirectory() {
        @Override
        public List<String> alivePeers() {
            return List.of();
        }

        @Override
        public Optional<NodeState> state(String node) {
            return Optional.empty();
        }

        @Override
        public PeerChannel connect(String node) throws IOException {
            throw new IOException("this node is not in a pool, so there is no node '" + node + "'");
        }
    };
}

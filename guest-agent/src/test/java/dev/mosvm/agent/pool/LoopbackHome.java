package dev.mosvm.agent.pool;

import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Home node ca as the requests of the checkpoint service reach it: a peer's view of the pool
 * in which ca is alive and each connection is a real loopback peer channel, whose far end ca
 * serves as its peer server does.
 */
final class LoopbackHome {
    private final BlockingQueue<PeerChannel> farEnds = new LinkedBlockingQueue<>();

    /** How ca answers one request. */
    interface Server {
        void serve(PeerRequest req, PeerChannel ch) throws IOException;
    }

    /** The view of the pool of node {@code asker}. */
    PeerDirectory from(String asker) {
        return new PeerDirectory() {
            @Override
            public List<String> alivePeers() {
                return List.of("ca");
            }

            @Override
            public Optional<NodeState> state(String node) {
                return Optional.of(NodeState.ALIVE);
            }

            @Override
            public PeerChannel connect(String node) throws IOException {
                PeerChannel[] ends = LoopbackChannels.pair(LoopbackChannels.keys(node, 5, List.of()), node,
                        LoopbackChannels.keys(asker, 5, List.of()), asker);
                farEnds.add(ends[0]);
                return ends[1];
            }
        };
    }

    /** ca serves the next request sent to it with {@code server}; the request it read. */
    CompletableFuture<PeerRequest> serves(Server server) {
        return CompletableFuture.supplyAsync(() -> {
            try (PeerChannel ch = farEnds.poll(30, TimeUnit.SECONDS)) {
                PeerRequest req = PeerRequest.read(ch.in);
                server.serve(req, ch);
                return req;
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** How many connections were opened and not served. */
    int unserved() {
        return farEnds.size();
    }
}

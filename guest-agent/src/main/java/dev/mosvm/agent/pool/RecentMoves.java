package dev.mosvm.agent.pool;

import dev.mosvm.agent.timekeeping.Monotonic;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.migrate.MoveLog;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.MoveEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pool's latest migrations for `mon`: each node logs the moves it sent jobs on, so this
 * node's log and every live peer's, merged by time. Asked of the peers at most every few
 * seconds however many monitors poll (a monitor refreshes every second).
 */
public final class RecentMoves {
    static final int SHOWN = 20;
    private static final long CACHE_MILLIS = 3000;
    private final PeerDirectory peers;
    private final MoveLog own;
    private List<MoveEvent> cached = List.of();
    private long cachedAt;

    public RecentMoves(PeerDirectory peers, MoveLog own) {
        this.peers = peers;
        this.own = own;
    }

    public synchronized List<MoveEvent> latest() {
        if (Monotonic.millis() - cachedAt < CACHE_MILLIS) return cached;
        List<CompletableFuture<List<MoveEvent>>> asks = new ArrayList<>();
        for (String peer : peers.alivePeers()) asks.add(CompletableFuture.supplyAsync(() -> ask(peer)));
        List<MoveEvent> all = new ArrayList<>(own.recent());
        for (CompletableFuture<List<MoveEvent>> a : asks) {
            try {
                all.addAll(a.get(2, TimeUnit.SECONDS));
            } catch (Exception e) {
                // that peer's moves are missing from this frame; the next one asks again
            }
        }
        all.sort(Comparator.comparing(MoveEvent::at));
        cached = List.copyOf(all.subList(Math.max(0, all.size() - SHOWN), all.size()));
        cachedAt = Monotonic.millis();
        return cached;
    }

    private List<MoveEvent> ask(String peer) {
        try (PeerChannel ch = peers.connect(peer)) {
            PeerRequest.write(ch.out, PeerRequest.moves());
            Frame f = FrameCodec.read(ch.in);
            if (f == null || f.type() != MessageType.LIST) return List.of();
            return f.json(new TypeReference<List<MoveEvent>>() {});
        } catch (IOException e) {
            return List.of();
        }
    }
}

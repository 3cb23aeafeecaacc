package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.checkpoint.CheckpointChains;
import dev.mosvm.agent.checkpoint.CheckpointStore;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node s, which runs job ca.17 of home ca, asks ca to compact the job's checkpoints after
 * sealing one, over real peer channels; ca serves the request as its peer server does.
 */
class CompactRequestsTest {
    @TempDir
    Path tmp;
    final LoopbackHome ca = new LoopbackHome();
    /** s's view of the pool. */
    final PeerDirectory fromS = ca.from("s");
    HomeFolds folds;

    @AfterEach
    void stop() {
        if (folds != null) folds.close();
    }

    /** Home ca serves the next request s sends, as PeerServer does; the request it read. */
    CompletableFuture<PeerRequest> caServes(CompactRequests home) {
        return ca.serves(home::serve);
    }

    /** Waits (30 s at most) for home's fold of 1 into 2 to end: 2 holds every page, 1 is gone. */
    void awaitFolded(CheckpointStore store) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!folded(store) && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(List.of(2), CheckpointChains.sealed(store), "1 folded into 2 at home");
        assertEquals(0, store.list(CheckpointChains.JOB).get(0).parent(), "2 holds every page");
        assertEquals(false, java.nio.file.Files.exists(store.dirOf(CheckpointChains.JOB, 1)), "1 is gone");
    }

    static boolean folded(CheckpointStore store) throws IOException {
        return CheckpointChains.sealed(store).equals(List.of(2)) && store.list(CheckpointChains.JOB).get(0).parent() == 0
                && !java.nio.file.Files.exists(store.dirOf(CheckpointChains.JOB, 1));
    }

    @Test
    void theRunnersAskLeadsToAFoldAtHome() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.take(store, 0);
        CheckpointChains.take(store, one);
        folds = new HomeFolds("ca", store);
        CompletableFuture<PeerRequest> served = caServes(new CompactRequests("ca", null, folds));

        new CompactRequests("s", fromS, null, 10_000, Runnable::run).ask("ca", CheckpointChains.JOB, 1);

        assertEquals(PeerRequest.compact(CheckpointChains.JOB, 1), served.get(30, TimeUnit.SECONDS));
        awaitFolded(store); // home folds after answering
    }

    @Test
    void homeRefusesAJobOfAnotherHomeWithASentenceAndFoldsNothing() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.take(store, 0);
        CheckpointChains.take(store, one);
        folds = new HomeFolds("cb", store); // cb is asked about ca's job
        PeerChannel[] ends = LoopbackChannels.pair(LoopbackChannels.keys("cb", 5, List.of()), "cb", LoopbackChannels.keys("s", 5, List.of()), "s");
        try (PeerChannel home = ends[0]; PeerChannel s = ends[1]) {
            new CompactRequests("cb", null, folds).serve(PeerRequest.compact(CheckpointChains.JOB, 1), home);
            Frame f = FrameCodec.read(s.in);
            assertEquals(MessageType.ERROR, f.type());
            assertEquals("the home of job ca.17 is ca, not cb: its checkpoints are folded there", f.text());
        }
        assertEquals(List.of(1, 2), CheckpointChains.sealed(store), "nothing changed");
    }

    @Test
    void aRunnerThatIsHomeFoldsWithoutAConnection() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.take(store, 0);
        CheckpointChains.take(store, one);
        folds = new HomeFolds("ca", store);

        new CompactRequests("ca", fromS, folds, 10_000, Runnable::run).ask("ca", CheckpointChains.JOB, 1);

        awaitFolded(store);
        assertEquals(0, ca.unserved(), "no connection");
    }
}

package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.checkpoint.CheckpointChains;
import dev.mosvm.agent.checkpoint.CheckpointManifest;
import dev.mosvm.agent.checkpoint.CheckpointStore;
import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node {@code asker} (cb, which took the checkpoint, or another node) has home ca seal a
 * checkpoint of ca's job ca.17 it wrote into ca's store, over real peer channels; ca serves the
 * request as its peer server does.
 */
class SealRequestsTest {
    @TempDir
    Path tmp;
    final LoopbackHome ca = new LoopbackHome();

    @Test
    void theNodeThatTookACheckpointHasHomeSealItAndGetsTheSealedManifest() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.take(store, 0);
        int two = CheckpointChains.write(store, one);
        SealRequests home = new SealRequests("ca", null, () -> store, job -> "cb", CheckpointChains.KEY);
        CompletableFuture<PeerRequest> served = ca.serves(home::serve);

        CheckpointManifest m = new SealRequests("cb", ca.from("cb"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, two), CheckpointChains.unsigned(two, one));

        assertEquals(PeerRequest.Op.SEAL, served.get(30, TimeUnit.SECONDS).op());
        assertEquals("checkpoint " + CheckpointChains.JOB + "/" + two, m.name());
        assertEquals(List.of(one, two), CheckpointChains.sealed(store), "sealed at home");
        assertEquals(m, store.list(CheckpointChains.JOB).get(1), "the manifest home wrote is the one the asker got");
        assertArrayEquals(CheckpointChains.memoryAfter(two, one, CheckpointChains.memoryAfter(one, 0, null)), CheckpointChains.restored(store, two),
                "it restores, verified against home's sums");
    }

    @Test
    void homeSealsOnlyForTheNodeThatTookTheCheckpoint() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        SealRequests home = new SealRequests("ca", null, () -> store, job -> "cb", CheckpointChains.KEY);
        CompletableFuture<PeerRequest> served = ca.serves(home::serve);

        IOException e = assertThrows(IOException.class, () -> new SealRequests("cc", ca.from("cc"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0)));

        served.get(30, TimeUnit.SECONDS);
        assertEquals("home ca did not seal it: cc asks to seal checkpoint ca.17/1, which cb took", e.getMessage());
        assertEquals(List.of(), CheckpointChains.sealed(store), "nothing sealed");
    }

    @Test
    void homeSealsOnlyForTheNodeItKnowsRunsTheJob() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        SealRequests home = new SealRequests("ca", null, () -> store, job -> "cd", CheckpointChains.KEY); // ca knows the job runs on cd
        CompletableFuture<PeerRequest> served = ca.serves(home::serve);

        IOException e = assertThrows(IOException.class, () -> new SealRequests("cb", ca.from("cb"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0)));

        served.get(30, TimeUnit.SECONDS);
        assertEquals("home ca did not seal it: cb asks to seal checkpoint ca.17/1, but the job runs on cd", e.getMessage());
        assertEquals(List.of(), CheckpointChains.sealed(store), "nothing sealed");
    }

    @Test
    void anAnswerNotSealedWithThePoolsKeyIsRefused() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        // a home of another pool (another key) seals it and answers
        CheckpointStore elsewhere = new CheckpointStore(store.root(), "another pool's key, also 32 byte".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                java.time.Clock.systemUTC());
        CompletableFuture<PeerRequest> served = ca.serves(new SealRequests("ca", null, () -> elsewhere, job -> "cb", CheckpointChains.KEY)::serve);

        IOException e = assertThrows(IOException.class, () -> new SealRequests("cb", ca.from("cb"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0)));

        served.get(30, TimeUnit.SECONDS);
        assertEquals("home ca answered with a manifest not sealed by this pool", e.getMessage());
    }

    @Test
    void aHomeTooBusyToTakeTheRequestLeavesTheAskerToSealItOverNfs() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        CompletableFuture<PeerRequest> served = ca.serves((req, ch) -> FrameCodec.writeText(ch.out, MessageType.ERROR,
                "busy: 16 peer requests are being served"));

        new SealRequests("cb", ca.from("cb"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0));

        served.get(30, TimeUnit.SECONDS);
        assertEquals(List.of(one), CheckpointChains.sealed(store));
    }

    @Test
    void aSealLeftUnansweredSaysSoSoTheCheckpointIsNotDeleted() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        CompletableFuture<PeerRequest> served = ca.serves((req, ch) -> {}); // reads the request, closes without a word

        assertThrows(dev.mosvm.agent.checkpoint.Checkpointer.SealUnanswered.class, () -> new SealRequests("cb", ca.from("cb"), () -> null,
                job -> null, CheckpointChains.KEY).seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0)));

        served.get(30, TimeUnit.SECONDS);
        assertTrue(java.nio.file.Files.isDirectory(store.dirOf(CheckpointChains.JOB, one)), "left for home to seal or prune");
    }

    @Test
    void homeRefusesAManifestWithBadFieldsInOneLine() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) dev.mosvm.api.Json.MAPPER.readTree(CheckpointChains.unsigned(one, 0).toJson());
        json.put("parent", 7); // not below its number
        PeerChannel[] ends = LoopbackChannels.pair(LoopbackChannels.keys("ca", 5, List.of()), "ca", LoopbackChannels.keys("cb", 5, List.of()), "cb");
        try (PeerChannel home = ends[0]; PeerChannel cb = ends[1]) {
            new SealRequests("ca", null, () -> store, job -> "cb", CheckpointChains.KEY).serve(PeerRequest.seal(CheckpointChains.JOB, json), home);
            var f = FrameCodec.read(cb.in);
            assertEquals(MessageType.ERROR, f.type());
            assertTrue(f.text().contains("has parent 7, which is not below its number 1"), f.text());
            assertTrue(!f.text().contains("\n"), "one line");
        }
        assertEquals(List.of(), CheckpointChains.sealed(store), "nothing sealed");
    }

    @Test
    void anOlderHomeThatDoesNotKnowTheRequestLeavesTheAskerToSealItOverNfs() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        CompletableFuture<PeerRequest> served = ca.serves((req, ch) -> FrameCodec.writeText(ch.out, MessageType.ERROR,
                "bad request: unknown request \"seal\""));

        CheckpointManifest m = new SealRequests("cb", ca.from("cb"), () -> null, job -> null, CheckpointChains.KEY)
                .seal(store, store.dirOf(CheckpointChains.JOB, one), CheckpointChains.unsigned(one, 0));

        served.get(30, TimeUnit.SECONDS);
        assertEquals(List.of(one), CheckpointChains.sealed(store));
        assertEquals(m, store.list(CheckpointChains.JOB).get(0));
    }

    @Test
    void aRunnerThatIsHomeSealsWithoutAConnection() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.write(store, 0);
        CheckpointManifest unsigned = CheckpointManifest.unsigned(CheckpointChains.unsigned(one, 0).spec(), one, 0, "ca", "1.4.0",
                java.util.Arrays.asList("pipe:[1]", null, null), false, 0, 0, 4096, 10);

        new SealRequests("ca", ca.from("ca"), () -> store, job -> "ca", CheckpointChains.KEY).seal(store, store.dirOf(CheckpointChains.JOB, one), unsigned);

        assertEquals(List.of(one), CheckpointChains.sealed(store));
        assertEquals(0, ca.unserved(), "no connection");
    }
}

package dev.mosvm.agent.checkpoint;

import static dev.mosvm.agent.migrate.CriuImages.LAZY;
import static dev.mosvm.agent.migrate.CriuImages.PARENT;
import static dev.mosvm.agent.migrate.CriuImages.PRESENT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.agent.checkpoint.CheckpointStore.FoldStep;
import dev.mosvm.agent.migrate.CriuImages;
import dev.mosvm.agent.migrate.CriuImages.Run;
import dev.mosvm.agent.recovery.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Folding a chain's full base into the next checkpoint, on CRIU images laid out as CRIU writes
 * them: a full checkpoint 1, checkpoint 2 on it and 3 on 2, each of two processes.
 */
class CheckpointFoldTest {
    private static final String JOB = "ca.17";
    private static final int[] PIDS = {1, 7};

    @TempDir
    Path tmp;
    private CheckpointStore store;
    /** What each process restores at each page from checkpoints 2 and 3, before any fold. */
    private final Map<String, byte[]> before = new HashMap<>();

    @BeforeEach
    void chain() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("pool/ca")).resolve(".mosvm-checkpoints");
        store = new CheckpointStore(root, CheckpointSamples.KEY, new TestClock());
        take(0, d -> {
            CriuImages.write(d, 1, 1, 1, new Run(0, 4, PRESENT), new Run(10, 90, LAZY));
            CriuImages.write(d, 7, 2, 1, new Run(0, 8, PRESENT));
        });
        take(1, d -> {
            CriuImages.write(d, 1, 1, 2, new Run(0, 2, PARENT), new Run(2, 1, PRESENT), new Run(3, 1, PARENT), new Run(10, 10, PARENT),
                    new Run(20, 1, LAZY), new Run(21, 79, PARENT));
            CriuImages.write(d, 7, 2, 2, new Run(0, 7, PARENT), new Run(7, 1, PRESENT));
        });
        take(2, d -> {
            CriuImages.write(d, 1, 1, 3, new Run(0, 3, PARENT), new Run(3, 1, PRESENT), new Run(10, 50, PARENT), new Run(60, 2, LAZY),
                    new Run(62, 38, PARENT));
            CriuImages.write(d, 7, 2, 3, new Run(0, 8, PARENT));
        });
        for (int n = 2; n <= 3; n++) before.putAll(restored(n));
    }

    private interface Images {
        void write(Path dir) throws IOException;
    }

    private void take(int parent, Images images) throws IOException {
        Path dir = store.reserve(JOB);
        int number = Integer.parseInt(dir.getFileName().toString());
        images.write(dir);
        Files.writeString(dir.resolve("core-1.img"), "registers of " + number);
        if (parent != 0) Files.createSymbolicLink(dir.resolve(CheckpointStore.PARENT_LINK), Path.of("../" + parent));
        store.seal(dir, CheckpointSamples.unsigned(JOB, number, parent, 1000));
    }

    /** Every page of every process as checkpoint {@code n} restores it, keyed "n/pid/page". */
    private Map<String, byte[]> restored(int n) throws IOException {
        Map<String, byte[]> pages = new HashMap<>();
        Path dir = store.dirOf(JOB, n);
        for (int pid : PIDS) {
            for (long page : CriuImages.pages(dir, pid)) pages.put(n + "/" + pid + "/" + page, CriuImages.restored(dir, pid, page));
        }
        return pages;
    }

    /** Checkpoint {@code n} verifies, and each of its processes restores every page as before the fold. */
    private void restoresAsBefore(int n) throws IOException {
        store.verify(JOB + "/" + n, 0);
        Map<String, byte[]> now = restored(n);
        assertEquals(before.keySet().stream().filter(k -> k.startsWith(n + "/")).count(), now.size(), "the same pages");
        for (Map.Entry<String, byte[]> p : now.entrySet()) assertArrayEquals(before.get(p.getKey()), p.getValue(), "page " + p.getKey());
    }

    @Test
    void theNextCheckpointTakesTheBasesPlaceAndRestoresTheSame() throws IOException {
        assertNull(store.fold(JOB, 1, 2));

        assertFalse(Files.exists(store.dirOf(JOB, 1)), "the base is gone");
        CheckpointManifest two = store.verify(JOB + "/2", 0).manifest();
        assertEquals(0, two.parent(), "2 is a full checkpoint");
        assertEquals(List.of(store.dirOf(JOB, 2)), store.verify(JOB + "/2", 0).chain(), "and restores from its own directory");
        assertFalse(Files.exists(store.dirOf(JOB, 2).resolve(CheckpointStore.PARENT_LINK)));
        assertEquals((90 + 4 + 8) * CriuImages.PAGE, two.pagesBytes(), "it holds every page now");
        restoresAsBefore(2);
        restoresAsBefore(3);
        assertEquals(List.of(store.dirOf(JOB, 3), store.dirOf(JOB, 2)), store.verify(JOB + "/3", 0).chain(), "3 still adds to 2");
        assertEquals(List.of(2, 3), store.list(JOB).stream().map(CheckpointManifest::number).toList());
    }

    @ParameterizedTest
    @EnumSource(FoldStep.class)
    void aFoldCutShortAtAnyStepLeavesTheNextCheckpointRestorableAndFoldingAgainFinishesIt(FoldStep last) throws IOException {
        assertNull(store.fold(JOB, 1, 2, last));

        restoresAsBefore(2);
        restoresAsBefore(3);
        if (last != FoldStep.PLAN) {
            assertEquals(List.of(2, 3), store.list(JOB).stream().map(CheckpointManifest::number).toList(), "1 is no checkpoint of its own");
            if (Files.exists(store.dirOf(JOB, 1))) {
                String refusal = assertThrows(CheckpointException.class, () -> store.verify(JOB + "/1", 0)).getMessage();
                assertEquals("checkpoint ca.17/1 is being folded into the next checkpoint, which holds its pages now: restore that one", refusal);
            }
        }
        store.prune(JOB, 2); // another node's prune meanwhile keeps what 2 needs
        restoresAsBefore(2);

        assertNull(store.fold(JOB, 1, 2));
        assertFalse(Files.exists(store.dirOf(JOB, 1)));
        assertEquals(0, store.verify(JOB + "/2", 0).manifest().parent());
        restoresAsBefore(2);
        restoresAsBefore(3);
    }

    @Test
    void aFoldCutShortBetweenTwoPagemapSwitchesIsFinishedWithTheNamesItSealed() throws IOException {
        assertNull(store.fold(JOB, 1, 2, FoldStep.LINK_PAGES));
        Path two = store.dirOf(JOB, 2);
        List<Path> maps;
        try (var s = Files.list(two)) {
            maps = s.filter(p -> p.getFileName().toString().startsWith("pagemap-")).sorted().toList();
        }
        assertEquals(2, maps.size());
        // the node dies after switching the first pagemap only
        Set<String> names = new java.util.TreeSet<>(store.verify(JOB + "/2", 0).manifest().files().keySet());
        names.addAll(CheckpointManifest.parse(Files.readAllBytes(store.dirOf(JOB, 1).resolve(CheckpointStore.FOLDED)), "1").files().keySet());
        dev.mosvm.agent.migrate.ImageFold.Image first = dev.mosvm.agent.migrate.ImageFold.plan(two, store.dirOf(JOB, 1), names).images().get(0);
        assertEquals(maps.get(0).getFileName().toString(), first.pagemap());
        Files.write(maps.get(0), first.foldedPagemap());
        restoresAsBefore(2);
        restoresAsBefore(3);

        assertNull(store.fold(JOB, 1, 2));
        assertEquals(0, store.verify(JOB + "/2", 0).manifest().parent());
        restoresAsBefore(2);
        restoresAsBefore(3);
    }

    @Test
    void aFoldCutShortIsFinishedByTheNextCompaction() throws IOException {
        store.fold(JOB, 1, 2, FoldStep.SWITCH_PAGEMAPS);

        assertNull(store.compact(JOB, 2));

        assertEquals(List.of(2, 3), store.list(JOB).stream().map(CheckpointManifest::number).toList());
        assertEquals(0, store.list(JOB).get(0).parent());
        assertFalse(Files.exists(store.dirOf(JOB, 1)));
        restoresAsBefore(3);
    }

    @Test
    void compactingKeepsTheChainWithinWhatIsKeptWithoutAFullDump() throws IOException {
        assertNull(store.compact(JOB, 1));

        assertEquals(List.of(3), store.list(JOB).stream().map(CheckpointManifest::number).toList());
        assertEquals(0, store.list(JOB).get(0).parent(), "3 holds every page itself");
        restoresAsBefore(3);
    }

    @Test
    void aProcessThatMappedMemorySinceTheBaseIsNotFoldedAndNothingChanges() throws IOException {
        Path two = store.dirOf(JOB, 2);
        // as if CRIU had dumped one more page of process 7: its pagemap no longer covers the base's pages
        Files.delete(two.resolve(CheckpointStore.MANIFEST));
        CriuImages.write(two, 7, 2, 2, new Run(0, 7, PARENT), new Run(7, 2, PRESENT));
        store.seal(two, CheckpointSamples.unsigned(JOB, 2, 1, 1000));
        before.clear();
        for (int n = 2; n <= 3; n++) before.putAll(restored(n));

        assertEquals("the process of pagemap-7.img mapped or dropped memory since the base", store.compact(JOB, 2));

        assertEquals(List.of(1, 2, 3), store.list(JOB).stream().map(CheckpointManifest::number).toList(), "kept as it was");
        store.verify(JOB + "/1", 0);
        restoresAsBefore(2);
        restoresAsBefore(3);
    }
}

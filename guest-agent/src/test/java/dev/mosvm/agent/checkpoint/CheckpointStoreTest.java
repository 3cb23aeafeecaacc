package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mosvm.agent.recovery.TestClock;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on a real directory, laid out as a home's share: /pool/ca/.mosvm-checkpoints under a temporary root. */
class CheckpointStoreTest {
    private static final String JOB = "ca.17";
    private static final int ALICE = 1000;
    private static final String WHERE = "/pool/NODE/.mosvm-checkpoints";

    @TempDir
    Path tmp;
    private Path root;
    private final TestClock clock = new TestClock();
    private CheckpointStore store;

    @BeforeEach
    void homeShare() throws IOException {
        root = Files.createDirectories(tmp.resolve("pool/ca")).resolve(".mosvm-checkpoints");
        store = new CheckpointStore(root, CheckpointSamples.KEY, clock);
    }

    /** What a taker does: reserve, write CRIU's files (and the parent link), seal. */
    private CheckpointManifest take(int parent, Map<String, String> files) throws IOException {
        Path dir = store.reserve(JOB);
        int number = Integer.parseInt(dir.getFileName().toString());
        for (Map.Entry<String, String> f : files.entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
        if (parent != 0) Files.createSymbolicLink(dir.resolve(CheckpointStore.PARENT_LINK), Path.of("../" + parent));
        return store.seal(dir, CheckpointSamples.unsigned(JOB, number, parent, ALICE));
    }

    private CheckpointManifest take(int parent) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("inventory.img", "inventory");
        files.put("pages-1.img", "pages of " + (parent == 0 ? "a full one" : "an increment"));
        return take(parent, files);
    }

    private String refusal(String reference, int uid) {
        return assertThrows(CheckpointException.class, () -> store.verify(reference, uid)).getMessage();
    }

    private Path file(int number, String name) {
        return store.dirOf(JOB, number).resolve(name);
    }

    @Test
    void reserveNumbersAfterEveryDirectorySealedOrNot() throws IOException {
        assertEquals(root.resolve("ca.17/1"), store.reserve(JOB));
        assertEquals(root.resolve("ca.17/2"), store.reserve(JOB), "an unsealed directory keeps its number");
        assertEquals(3, take(0).number());
        assertEquals(root.resolve("ca.18/1"), store.reserve("ca.18"));
    }

    @Test
    void everyDirectoryItMakesIsTheOwnersOnly() throws IOException {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path dir = store.reserve(JOB);
        for (Path p : List.of(root, root.resolve(JOB), dir)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)), p.toString());
        }
        store.seal(dir, CheckpointSamples.unsigned(JOB, 1, 0, ALICE));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(CheckpointStore.MANIFEST))));
    }

    @Test
    void aSealedCheckpointIsListedWithItsSumsAndTime() throws IOException {
        store.reserve(JOB); // a taker that stopped part-way
        clock.advance(Duration.ofMinutes(10));
        CheckpointManifest m = take(0, Map.of("pages-1.img", "abc"));
        assertEquals("2026-05-04T12:44:56.700Z", m.takenAt());
        assertEquals(3, m.files().get("pages-1.img").size());
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", m.files().get("pages-1.img").sha256());
        assertEquals(List.of(m), store.list(JOB));
        assertEquals(m, store.latest(JOB).orElseThrow());
        assertEquals(m, CheckpointManifest.parse(Files.readAllBytes(file(2, CheckpointStore.MANIFEST)), "checkpoint ca.17/2"));
        assertFalse(Files.exists(file(2, "manifest.json.part")));
        assertTrue(store.list("ca.99").isEmpty());
        assertTrue(store.latest("ca.99").isEmpty());
    }

    @Test
    void aFullCheckpointVerifiesByJobByNumberAndByPath() throws IOException {
        CheckpointManifest m = take(0);
        for (String reference : List.of(JOB, "ca.17/1", root.resolve("ca.17/1").toString(), root.resolve("ca.17").toString(),
                root.resolve("ca.17/./1/").toString())) {
            CheckpointStore.Verified v = store.verify(reference, ALICE);
            assertEquals(m, v.manifest(), reference);
            assertEquals(List.of(root.resolve("ca.17/1")), v.chain(), reference);
        }
        assertEquals(m, store.verify(JOB, 0).manifest(), "root may restore anyone's");
    }

    @Test
    void anIncrementalChainVerifiesDownToItsFullCheckpoint() throws IOException {
        take(0);
        take(1);
        CheckpointManifest third = take(2);
        CheckpointStore.Verified v = store.verify(JOB, ALICE);
        assertEquals(third, v.manifest());
        assertEquals(List.of(root.resolve("ca.17/3"), root.resolve("ca.17/2"), root.resolve("ca.17/1")), v.chain());
        assertEquals(root.resolve("ca.17/3"), v.dir());
        long each = "inventory".length();
        assertEquals(3 * each + "pages of a full one".length() + 2 * "pages of an increment".length(), store.chainBytes(third));
    }

    @Test
    void whatIsNotThereIsSaidSo() throws IOException {
        assertEquals("no checkpoint of job ca.17 at home ca", refusal(JOB, ALICE));
        take(0);
        assertEquals("no checkpoint ca.17/4 at home ca", refusal("ca.17/4", ALICE));
        assertEquals("no checkpoint ca.17/4 at home ca", refusal(root.resolve("ca.17/4").toString(), ALICE));
        assertEquals("no checkpoint of job ca.18 at home ca", refusal("ca.18", ALICE));
        store.reserve(JOB);
        assertEquals("checkpoint ca.17/2 is incomplete: it was being taken when its node stopped (no manifest)", refusal("ca.17/2", ALICE));
        assertEquals(1, store.verify(JOB, ALICE).manifest().number(), "a job's newest sealed checkpoint");
    }

    @Test
    void aDamagedOrAlteredCheckpointIsRefused() throws IOException {
        take(0, Map.of("pages-1.img", "12345678"));
        Files.writeString(file(1, "pages-1.img"), "1234");
        assertEquals("checkpoint ca.17/1 is damaged: pages-1.img has 4 bytes, its manifest says 8", refusal("ca.17/1", ALICE));
        Files.writeString(file(1, "pages-1.img"), "12345679");
        assertEquals("checkpoint ca.17/1 was altered after it was taken: pages-1.img does not match its checksum", refusal("ca.17/1", ALICE));
        Files.writeString(file(1, "pages-1.img"), "12345678");
        store.verify("ca.17/1", ALICE);

        Files.writeString(file(1, "extra.img"), "");
        assertEquals("checkpoint ca.17/1 was altered after it was taken: extra.img is not in its manifest", refusal("ca.17/1", ALICE));
        Files.delete(file(1, "extra.img"));
        Files.createSymbolicLink(file(1, "parent"), Path.of("../1"));
        assertEquals("checkpoint ca.17/1 was altered after it was taken: parent is not in its manifest", refusal("ca.17/1", ALICE));
        Files.delete(file(1, "parent"));
        Files.delete(file(1, "pages-1.img"));
        assertEquals("checkpoint ca.17/1 is damaged: pages-1.img is missing", refusal("ca.17/1", ALICE));
        Files.createSymbolicLink(file(1, "pages-1.img"), tmp.resolve("elsewhere"));
        assertEquals("checkpoint ca.17/1 was altered after it was taken: pages-1.img is a symbolic link", refusal("ca.17/1", ALICE));
    }

    @Test
    void aManifestThisPoolDidNotSealIsRefused() throws IOException {
        take(0);
        Path manifest = file(1, CheckpointStore.MANIFEST);
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(manifest.toFile());
        ((ObjectNode) tree.get("spec")).put("uid", 1001);
        Files.write(manifest, Json.MAPPER.writeValueAsBytes(tree));
        assertEquals("checkpoint ca.17/1 was not sealed by this pool", refusal("ca.17/1", 1001));
        assertTrue(store.list(JOB).isEmpty(), "a forged manifest is no checkpoint");

        take(0);
        CheckpointStore otherPool = new CheckpointStore(root, CheckpointSamples.OTHER_KEY, clock);
        assertEquals("checkpoint ca.17/2 was not sealed by this pool",
                assertThrows(CheckpointException.class, () -> otherPool.verify("ca.17/2", ALICE)).getMessage());

        tree = (ObjectNode) Json.MAPPER.readTree(file(2, CheckpointStore.MANIFEST).toFile());
        tree.put("format", 2);
        Files.write(file(2, CheckpointStore.MANIFEST), Json.MAPPER.writeValueAsBytes(tree));
        assertEquals("checkpoint ca.17/2 was taken by a newer mosvm (manifest format 2, this node reads 1): restore it on an updated node",
                refusal("ca.17/2", ALICE));
    }

    @Test
    void aCheckpointMovedToAnotherNumberIsRefused() throws IOException {
        take(0);
        Files.move(store.dirOf(JOB, 1), store.dirOf(JOB, 5));
        assertEquals("checkpoint ca.17/5 was moved: its manifest is for checkpoint ca.17/1 of home ca", refusal("ca.17/5", ALICE));
    }

    @Test
    void anotherUsersCheckpointIsNotYours() throws IOException {
        take(0);
        assertEquals("checkpoint ca.17/1 belongs to user 1000, not to you (uid 1001)", refusal(JOB, 1001));
    }

    @Test
    void aPathOutsideTheRootIsNoCheckpoint() throws IOException {
        take(0);
        Path outside = Files.createDirectories(tmp.resolve("copy/ca.17/1"));
        try (Stream<Path> files = Files.list(store.dirOf(JOB, 1))) {
            for (Path f : files.toList()) Files.copy(f, outside.resolve(f.getFileName()));
        }
        assertEquals(outside + " is not a checkpoint: checkpoints are under " + WHERE, refusal(outside.toString(), ALICE));
        assertEquals("/tmp/x is not a checkpoint: checkpoints are under " + WHERE, refusal("/tmp/x", ALICE));
        String dotDot = root + "/ca.17/../../../../copy/ca.17/1";
        assertEquals(dotDot + " is not a checkpoint: checkpoints are under " + WHERE, refusal(dotDot, ALICE));
        assertEquals(root + " is not a checkpoint: checkpoints are under " + WHERE, refusal(root.toString(), ALICE));
        assertEquals(root + "/ca.17/1/pages-1.img is not a checkpoint: checkpoints are under " + WHERE, refusal(root + "/ca.17/1/pages-1.img", ALICE));

        Files.createSymbolicLink(store.dirOf(JOB, 7), outside);
        assertEquals(root + "/ca.17/7 is not a checkpoint: checkpoints are under " + WHERE, refusal(root + "/ca.17/7", ALICE));
        assertEquals("checkpoint ca.17/7 was altered after it was taken: it is not a directory", refusal("ca.17/7", ALICE));

        Path link = Files.createSymbolicLink(tmp.resolve("mine"), store.dirOf(JOB, 1));
        assertEquals(1, store.verify(link.toString(), ALICE).manifest().number(), "a link to a checkpoint names that checkpoint");
    }

    @Test
    void aReferenceThatNamesNothingIsSaidSo() {
        for (String bad : List.of("ca.17/x", "ca.17/1/2", "../ca.17", "ca.17/0", "", "ca\n17")) {
            String expected = (bad.isEmpty() ? "\"\"" : bad.replace('\n', '?')) + " is not a checkpoint: name it JOB, JOB/N or by its directory under " + WHERE;
            assertEquals(expected, refusal(bad, ALICE), bad);
        }
    }

    @Test
    void aCheckpointWhoseParentIsGoneOrBadIsRefused() throws IOException {
        take(0, Map.of("pages-1.img", "full"));
        take(1);
        take(2);
        store.verify(JOB, ALICE);
        Files.writeString(file(1, "pages-1.img"), "fulL");
        assertEquals("checkpoint ca.17/3 needs checkpoint ca.17/1, which was altered after it was taken: pages-1.img does not match its checksum",
                refusal(JOB, ALICE));
        Files.delete(file(1, CheckpointStore.MANIFEST));
        assertEquals("checkpoint ca.17/3 needs checkpoint ca.17/1, which is gone", refusal(JOB, ALICE));
        assertEquals("checkpoint ca.17/3 needs checkpoint ca.17/1, which is gone",
                assertThrows(CheckpointException.class, () -> store.chainBytes(store.latest(JOB).orElseThrow())).getMessage());
        Files.delete(file(3, "parent"));
        assertEquals("checkpoint ca.17/3 is damaged: its parent link is missing", refusal(JOB, ALICE));
        Files.createSymbolicLink(file(3, "parent"), Path.of("../1"));
        assertEquals("checkpoint ca.17/3 was altered after it was taken: its parent link does not lead to ../2", refusal(JOB, ALICE));
    }

    @Test
    void sealingRefusesWhatIsNoImageFile() throws IOException {
        take(0);
        Path dir = store.reserve(JOB);
        Unsealed u = new Unsealed(dir, CheckpointSamples.unsigned(JOB, 2, 0, ALICE));
        Files.createDirectory(dir.resolve("sub"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: sub is a directory, and only image files and its parent link belong there", refusal(u));
        Files.delete(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("pages-1.img"), Path.of("/etc/shadow"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: pages-1.img is a symbolic link, and only image files and its parent link belong there",
                refusal(u));
        Files.delete(dir.resolve("pages-1.img"));
        mkfifo(dir.resolve("fifo"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: fifo is not a plain file, and only image files and its parent link belong there", refusal(u));
        Files.delete(dir.resolve("fifo"));
        Files.writeString(dir.resolve(".hidden"), "");
        assertEquals("checkpoint ca.17/2 cannot be sealed: .hidden is a file with a name CRIU does not write, and only image files and its parent link"
                + " belong there", refusal(u));
        Files.delete(dir.resolve(".hidden"));
        Files.writeString(dir.resolve("parent"), "");
        assertEquals("checkpoint ca.17/2 cannot be sealed: parent is a file with a name CRIU does not write, and only image files and its parent link"
                + " belong there", refusal(u));
        Files.delete(dir.resolve("parent"));

        Files.createSymbolicLink(dir.resolve("parent"), Path.of("../1"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: its parent link leads to ../1, not to ../0 (its manifest says it is a full one)", refusal(u));
        Unsealed incremental = new Unsealed(dir, CheckpointSamples.unsigned(JOB, 2, 1, ALICE));
        Files.delete(dir.resolve("parent"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: it adds to checkpoint ca.17/1 but has no parent link", refusal(incremental));
        Files.createSymbolicLink(dir.resolve("parent"), Path.of("/pool/ca/.mosvm-checkpoints/ca.17/1"));
        assertEquals("checkpoint ca.17/2 cannot be sealed: its parent link leads to /pool/ca/.mosvm-checkpoints/ca.17/1, not to ../1",
                refusal(incremental));
        Files.delete(dir.resolve("parent"));
        Files.createSymbolicLink(dir.resolve("parent"), Path.of("../1"));
        Files.delete(file(1, CheckpointStore.MANIFEST));
        assertEquals("checkpoint ca.17/2 cannot be sealed: it adds to checkpoint ca.17/1, which is gone", refusal(incremental));
    }

    @Test
    void aCheckpointIsSealedOnce() throws IOException {
        Path dir = store.reserve(JOB);
        CheckpointManifest unsigned = CheckpointSamples.unsigned(JOB, 1, 0, ALICE);
        store.seal(dir, unsigned);
        assertEquals("checkpoint ca.17/1 cannot be sealed: it is sealed already", refusal(new Unsealed(dir, unsigned)));
        JobSpec elsewhere = JobSpec.fresh(JOB, "cb", ALICE, ALICE, List.of("x"), "2026-05-04T12:00:00Z", false, false, "home", null);
        CheckpointManifest ofAnotherHome = CheckpointManifest.unsigned(elsewhere, 2, 0, "cb", "1.4.0", List.of(), false, 0, 0, 0, 0);
        assertEquals("checkpoint ca.17/2 cannot be sealed at home ca: its job's home is cb", refusal(new Unsealed(store.reserve(JOB), ofAnotherHome)));
    }

    /** A directory and the manifest a seal of it is tried with. */
    private record Unsealed(Path dir, CheckpointManifest unsigned) {
    }

    private String refusal(Unsealed u) {
        return assertThrows(CheckpointException.class, () -> store.seal(u.dir(), u.unsigned())).getMessage();
    }

    @Test
    void pruningKeepsTheLastAndWhatTheyNeed() throws IOException {
        Integer lastHere = null;
        for (int i = 0; i < 10; i++) {
            List<Retention.Sealed> sealed = store.list(JOB).stream().map(Retention.Sealed::of).toList();
            lastHere = take(Retention.parentFor(sealed, lastHere, 3)).number();
        }
        store.reserve(JOB); // 11, being taken
        Files.delete(file(4, CheckpointStore.MANIFEST)); // 4, its taker stopped before sealing
        // chains of at most 3: 1 2 3 | 4 5 6 | 7 8 9 | 10; the last two, 9 and 10, need 7 and 8
        store.prune(JOB, 2);
        assertEquals(List.of("10", "11", "7", "8", "9"), numbers());
        store.verify("ca.17/9", ALICE);
        store.verify("ca.17/10", ALICE);
        store.forget(JOB);
        assertFalse(Files.exists(root.resolve(JOB)));
        store.forget(JOB);
        store.prune("ca.99", 3);
    }

    private List<String> numbers() throws IOException {
        try (Stream<Path> s = Files.list(root.resolve(JOB))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRootSomeoneElseMadeIsRefused() throws IOException {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "only root can give a directory away");
        Files.createDirectory(root);
        Files.setAttribute(root, "unix:uid", ALICE);
        String off = "checkpoints at home ca are off: " + root + " belongs to uid 1000, not to the agent; root must remove it";
        assertEquals(off, assertThrows(CheckpointException.class, () -> store.reserve(JOB)).getMessage());
        assertEquals(off, refusal(JOB, ALICE));
        assertEquals(off, assertThrows(CheckpointException.class, () -> store.list(JOB)).getMessage());
    }

    @Test
    void aRootThatIsALinkIsRefused() throws IOException {
        Files.createSymbolicLink(root, Files.createDirectory(tmp.resolve("a user's directory")));
        String off = "checkpoints at home ca are off: " + root + " is not a directory (a link or a file); root must remove it";
        assertEquals(off, assertThrows(CheckpointException.class, () -> store.reserve(JOB)).getMessage());
        assertEquals(off, refusal(JOB, ALICE));
    }

    private static void mkfifo(Path p) throws IOException {
        try {
            assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).inheritIO().start().waitFor());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}

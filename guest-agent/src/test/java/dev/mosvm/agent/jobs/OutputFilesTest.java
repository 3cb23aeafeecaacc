package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gone caller's files: what the frames carry lands in them, each new, the user's only, bounded. */
class OutputFilesTest {
    @TempDir
    Path root;

    final int uid = uid();
    final int gid = uid;

    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of(System.getProperty("java.io.tmpdir")), "unix:uid");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void out(DataOutputStream s, MessageType kind, String text) throws IOException {
        FrameCodec.write(s, kind, text.getBytes(StandardCharsets.UTF_8));
    }

    String read(OutputFiles f, String ext) throws IOException {
        return Files.readString(Path.of(f.files() + ext));
    }

    @Test
    void outputErrorAndStatusLandInTheUsersFilesOnly() throws Exception {
        try (OutputFiles f = OutputFiles.open(root, "a.7", uid, gid)) {
            DataOutputStream s = f.stream();
            out(s, MessageType.STDOUT, "one\n");
            out(s, MessageType.STDERR, "warn\n");
            out(s, MessageType.STDOUT, "two\n");
            assertFalse(Files.exists(Path.of(f.files() + ".status")), "no status before the job ends");
            FrameCodec.write(s, Frame.u32(MessageType.EXIT, 3));
            assertEquals(root.resolve(uid + "").resolve("a.7"), f.files());
            assertEquals("one\ntwo\n", read(f, ".out"));
            assertEquals("warn\n", read(f, ".err"));
            assertEquals("3\n", read(f, ".status"));
            for (String ext : new String[] {".out", ".err", ".status"}) {
                Path p = Path.of(f.files() + ext);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)), ext);
                assertEquals(uid, Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS), ext);
            }
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.files().getParent())));
        }
    }

    @Test
    void aLostJobsStatusSaysWhy() throws Exception {
        try (OutputFiles f = OutputFiles.open(root, "a.8", uid, gid)) {
            FrameCodec.write(f.stream(), Frame.text(MessageType.LOST, "job a.8 lost: node b is gone"));
            assertEquals("lost: job a.8 lost: node b is gone\n", read(f, ".status"));
        }
    }

    @Test
    void outputPastTheBoundIsDroppedAndTheErrorFileSaysSoOnce() throws Exception {
        try (OutputFiles f = OutputFiles.open(root, "a.9", uid, gid, 10)) {
            DataOutputStream s = f.stream();
            out(s, MessageType.STDOUT, "123456");
            out(s, MessageType.STDOUT, "789abc");
            out(s, MessageType.STDOUT, "more");
            assertEquals("123456789a", read(f, ".out"));
            String err = read(f, ".err");
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.contains("standard output past"), err);
        }
    }

    @Test
    void aLinkPlantedUnderTheJobsNameIsNeverFollowedAndTheNextNameIsTaken() throws Exception {
        Path victim = Files.writeString(root.resolve("victim"), "untouched");
        Path dir = Files.createDirectories(root.resolve(uid + ""));
        Files.createSymbolicLink(dir.resolve("a.10.out"), victim);
        try (OutputFiles f = OutputFiles.open(root, "a.10", uid, gid)) {
            out(f.stream(), MessageType.STDOUT, "mine\n");
            assertEquals(dir.resolve("a.10.1"), f.files(), "the planted name is passed over");
            assertEquals("mine\n", read(f, ".out"));
        }
        assertEquals("untouched", Files.readString(victim));
    }

    @Test
    void aJobWhoseHomeRestartsAgainGetsFreshFiles() throws Exception {
        try (OutputFiles first = OutputFiles.open(root, "a.11", uid, gid); OutputFiles second = OutputFiles.open(root, "a.11", uid, gid)) {
            out(first.stream(), MessageType.STDOUT, "before\n");
            out(second.stream(), MessageType.STDOUT, "after\n");
            assertEquals("before\n", read(first, ".out"));
            assertEquals("after\n", read(second, ".out"));
        }
    }

    @Test
    void aJobWithoutAnOwnerIsRefused() {
        assertThrows(IOException.class, () -> OutputFiles.open(root, "a.12", -1, 0));
    }

    @Test
    void closedFilesTakeNothingMore() throws Exception {
        OutputFiles f = OutputFiles.open(root, "a.13", uid, gid);
        DataOutputStream s = f.stream();
        f.close();
        assertThrows(IOException.class, () -> out(s, MessageType.STDOUT, "late\n"));
    }
}

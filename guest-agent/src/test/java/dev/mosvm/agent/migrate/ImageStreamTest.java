package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image rounds on the wire: what arrives is what was dumped, or the round is refused. */
class ImageStreamTest {
    @TempDir Path src;
    @TempDir Path dst;

    byte[] round() throws IOException {
        Path r = Files.createDirectories(src.resolve("2"));
        byte[] pages = new byte[3 * (1 << 20) + 123]; // spans several frames
        new SplittableRandom(4).nextBytes(pages);
        Files.write(r.resolve("pages-1.img"), pages);
        Files.writeString(r.resolve("core-1.img"), "core");
        Files.writeString(r.resolve("dump.log"), "stays home");
        Files.createSymbolicLink(r.resolve("parent"), Path.of("../1"));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        long bytes = ImageStream.send(new DataOutputStream(wire), src, "2");
        assertEquals(pages.length + 4, bytes, "image bytes, logs not counted or sent");
        return wire.toByteArray();
    }

    void receive(byte[] wire) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire));
        ImageStream.receive(in, dst, FrameCodec.read(in));
    }

    @Test
    void aRoundArrivesWholeWithItsParentLink() throws IOException {
        receive(round());
        assertArrayEquals(Files.readAllBytes(src.resolve("2/pages-1.img")), Files.readAllBytes(dst.resolve("2/pages-1.img")));
        assertEquals("core", Files.readString(dst.resolve("2/core-1.img")));
        assertEquals(Path.of("../1"), Files.readSymbolicLink(dst.resolve("2/parent")));
        assertTrue(Files.notExists(dst.resolve("2/dump.log")));
    }

    @Test
    void aCorruptedByteIsCaughtByTheChecksum() throws IOException {
        byte[] wire = round();
        wire[wire.length / 2] ^= 1; // inside the pages' data frames
        IOException e = assertThrows(IOException.class, () -> receive(wire));
        assertTrue(e.getMessage().contains("checksum mismatch in 2/pages-1.img"), e.getMessage());
    }

    @Test
    void pathsOutsideTheMigrationDirectoryAreRefused() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(wire);
        FrameCodec.write(out, MessageType.FILE, "../../etc/passwd".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> receive(wire.toByteArray()));
        ByteArrayOutputStream link = new ByteArrayOutputStream();
        FrameCodec.write(new DataOutputStream(link), MessageType.LINK, "1/parent\0/etc".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> receive(link.toByteArray()));
    }
}

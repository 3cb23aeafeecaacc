package dev.mosvm.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The image stream's decoder: a round's frames in their order, paths inside the round, files as they were sent. */
class ImageStreamCodecTest {
    static List<ImageStreamCodec.Event> decode(List<Frame> frames) throws MalformedFrameException {
        ImageStreamCodec.Decoder d = new ImageStreamCodec.Decoder();
        List<ImageStreamCodec.Event> events = new ArrayList<>();
        for (Frame f : frames) events.add(d.next(f));
        return events;
    }

    static String refusal(List<Frame> frames) {
        return assertThrows(MalformedFrameException.class, () -> decode(frames)).getMessage();
    }

    static Frame data(String s) {
        return new Frame(MessageType.DATA, s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRoundDecodesToItsFilesLinkAndEnd() throws MalformedFrameException {
        List<ImageStreamCodec.Event> events = decode(WireSamples.imageRound());
        assertEquals(new ImageStreamCodec.FileBegins("2/core-1.img"), events.get(0));
        assertEquals(new ImageStreamCodec.FileEnds("2/core-1.img", 4), events.get(2));
        assertEquals(new ImageStreamCodec.Link("2/parent", "../1"), events.get(3));
        assertEquals(new ImageStreamCodec.FileEnds("2/pagemap-1.img", 300), events.get(events.size() - 2));
        assertEquals(new ImageStreamCodec.RoundEnds(2), events.get(events.size() - 1));
        assertInstanceOf(ImageStreamCodec.FileData.class, events.get(5));
    }

    @Test
    void refusesFramesOutOfPlace() {
        Frame end = ImageStreamCodec.fileEnd(0, 0);
        Frame file = ImageStreamCodec.file("1/a.img");
        assertEquals("image data outside a file", refusal(List.of(data("x"))));
        assertEquals("end of a file that was not begun", refusal(List.of(end)));
        assertEquals("a file begun inside 1/a.img", refusal(List.of(file, file)));
        assertEquals("link inside file 1/a.img", refusal(List.of(file, ImageStreamCodec.link("1/parent", "../1"))));
        assertEquals("round ended inside file 1/a.img", refusal(List.of(file, ImageStreamCodec.roundEnd("1"))));
        assertEquals("a FILE frame after the round ended", refusal(List.of(ImageStreamCodec.roundEnd("1"), file)));
        assertEquals("unexpected frame RESTORE in an image round", refusal(List.of(new MigrationFrames.Restore(1).frame())));
    }

    @Test
    void refusesPathsOutsideTheRoundAndLinksElsewhere() {
        for (String bad : new String[] {"../../etc/passwd", "1/..", "1/.", "1/a/b", "/1/a", "0/a", "1/", "1/" + "a".repeat(256), "1/a b"}) {
            assertTrue(refusal(List.of(ImageStreamCodec.file(bad))).startsWith("bad image path"), bad);
        }
        assertEquals("bad image link 1/parent", refusal(List.of(ImageStreamCodec.link("1/parent", "/etc"))));
        assertEquals("bad image link 1/parent", refusal(List.of(Frame.text(MessageType.LINK, "1/parent"))));
        assertTrue(refusal(List.of(ImageStreamCodec.link("1/../x", "../1"))).startsWith("bad image path"));
    }

    @Test
    void aFileThatDiffersFromWhatWasSentIsRefused() {
        Frame file = ImageStreamCodec.file("1/a.img");
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update("abc".getBytes(StandardCharsets.UTF_8));
        assertEquals("checksum mismatch in 1/a.img", refusal(List.of(file, data("abd"), ImageStreamCodec.fileEnd(3, (int) crc.getValue()))));
        assertEquals("checksum mismatch in 1/a.img", refusal(List.of(file, data("abc"), ImageStreamCodec.fileEnd(4, (int) crc.getValue()))));
    }
}

package dev.mosvm.agent.wire;

import dev.mosvm.api.MigrationRecord;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames on a stream: every type goes through as it was written, and every kind of bad input is refused by name. */
class FrameCodecTest {
    static DataInputStream stream(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    static String refusal(byte[] bytes) {
        return assertThrows(MalformedFrameException.class, () -> FrameCodec.read(stream(bytes))).getMessage();
    }

    @Test
    void everyTypeRoundTripsInOrderAndTheStreamEndsCleanly() throws IOException {
        List<Frame> frames = WireSamples.frames();
        assertEquals(MessageType.values().length, frames.size());
        DataInputStream in = stream(WireSamples.encode(frames));
        for (Frame sent : frames) assertEquals(sent, FrameCodec.read(in), sent.type().name());
        assertNull(FrameCodec.read(in), "a clean end between frames");
    }

    @Test
    void todaysCodesAndTheByteLayoutStayAsMosrunKnowsThem() throws IOException {
        // mosrun.c: F_STDOUT = 1 ... F_SIGNAL = 8, F_LOST = 18; FENCED = 19 between agents; the migration's codes 20-34 as agents of protocol 1 sent them; POSITION 35 since protocol 7
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35),
                Arrays.stream(MessageType.values()).map(t -> t.code).toList());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        FrameCodec.writeU32(new DataOutputStream(b), MessageType.SIGNAL, 2);
        assertArrayEquals(new byte[] {8, 0, 0, 0, 4, 0, 0, 0, 2}, b.toByteArray());
    }

    @Test
    void aFrameAsLongAsTheLimitPassesAndTheWriterRefusesLongerOnes() throws IOException {
        Frame max = new Frame(MessageType.STDOUT, new byte[WireLimits.MAX_FRAME_PAYLOAD]);
        assertEquals(max, FrameCodec.read(stream(WireSamples.encode(List.of(max)))));
        IOException e = assertThrows(IOException.class, () -> FrameCodec.write(new DataOutputStream(new ByteArrayOutputStream()),
                MessageType.COMMIT, new byte[WireLimits.MAX_FRAME_PAYLOAD + 1]));
        assertTrue(e.getMessage().contains("COMMIT frame of 1048577 bytes is over the limit"), e.getMessage());
    }

    @Test
    void refusesEachKindOfBadFrame() {
        assertEquals("unknown frame type 36", refusal(new byte[] {36, 0, 0, 0, 0}));
        assertEquals("POSITION frame of 0 bytes, not 16", refusal(new byte[] {35, 0, 0, 0, 0}));
        assertEquals("unknown frame type 0", refusal(new byte[] {0, 0, 0, 0, 0}));
        assertEquals("truncated STDOUT frame header", refusal(new byte[] {1, 0, 0}));
        assertEquals("truncated STDOUT frame", refusal(new byte[] {1, 0, 0, 0, 9, 'x'}));
        assertEquals("bad STDOUT frame length 1048577", refusal(header(MessageType.STDOUT, WireLimits.MAX_FRAME_PAYLOAD + 1)));
        assertEquals("bad DATA frame length 4294967295", refusal(header(MessageType.DATA, -1)));
        assertEquals("EXIT frame of 3 bytes, not 4", refusal(new byte[] {3, 0, 0, 0, 3, 0, 0, 1}));
        assertEquals("HOLD frame of 1 bytes, not 0", refusal(new byte[] {14, 0, 0, 0, 1, 0}));
        assertEquals("ERROR text is not UTF-8", refusal(new byte[] {4, 0, 0, 0, 2, (byte) 0xc3, (byte) 0x28}));
    }

    @Test
    void aLengthIsCheckedBeforeAnythingIsAllocatedForIt() {
        // 2 GiB declared, five bytes sent: refused at once, not an OutOfMemoryError
        assertTrue(refusal(header(MessageType.DATA, Integer.MAX_VALUE)).startsWith("bad DATA frame length"));
    }

    @Test
    void aLargePayloadArrivingInPiecesReadsWholeAndOneThatStopsShortIsTruncated() throws IOException {
        byte[] payload = new byte[WireLimits.MAX_FRAME_PAYLOAD];
        new java.util.SplittableRandom(3).nextBytes(payload);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        FrameCodec.write(new DataOutputStream(b), MessageType.DATA, payload);
        // a stream handing out at most 1000 bytes a read, as a slow network does
        java.io.InputStream trickle = new java.io.FilterInputStream(new ByteArrayInputStream(b.toByteArray())) {
            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                return super.read(buf, off, Math.min(len, 1000));
            }
        };
        assertArrayEquals(payload, FrameCodec.read(new DataInputStream(trickle)).payload());
        byte[] cut = Arrays.copyOf(b.toByteArray(), WireLimits.FRAME_HEADER_BYTES + FrameCodec.FIRST_CHUNK + 5);
        assertEquals("truncated DATA frame", refusal(cut), "declared a megabyte, sent 64 KiB and a bit");
    }

    @Test
    void jsonPayloadsThatAreNotTheirRecordAreMalformed() throws IOException {
        assertThrows(MalformedFrameException.class, () -> Frame.text(MessageType.RECORD, "null").json(MigrationRecord.class));
        assertThrows(MalformedFrameException.class, () -> Frame.text(MessageType.RECORD, "{\"rounds\":\"many\"}").json(MigrationRecord.class));
        assertThrows(MalformedFrameException.class, () -> Frame.text(MessageType.LIST, "[".repeat(WireLimits.MAX_JSON_NESTING + 1)).json(List.class));
        assertEquals(WireSamples.RECORD, Frame.json(MessageType.RECORD, WireSamples.RECORD).json(MigrationRecord.class));
        assertEquals(Boolean.TRUE, Frame.text(MessageType.REPLY, "true").json(Boolean.class), "a has answer, as protocol 1 wrote it");
    }

    static byte[] header(MessageType t, int length) {
        return ByteBuffer.allocate(WireLimits.FRAME_HEADER_BYTES).put((byte) t.code).putInt(length).array();
    }
}

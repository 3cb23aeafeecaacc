package dev.mosvm.agent.wire;

import dev.mosvm.api.MigrationRecord;
import dev.mosvm.api.MigrationMode;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/** Valid encodings of every message, for the round-trip tests and as the seeds the fuzz tests mutate. */
final class WireSamples {
    private WireSamples() {}

    static final MigrationRecord RECORD = new MigrationRecord("a", "b", "2026-12-04T10:00:00Z", 2, 180, 2400, 3 << 20, "balanced",
            "b is 2.0x faster", 12.5, "sealed");
    static final JobSpec SPEC = JobSpec.fresh("a.7", "a", 1000, 1000, List.of("sh", "-c", "echo hi; cat"), "2026-12-04T09:00:00Z",
            false, false, "placed", "b had a free core");
    static final JobSpec MOVED_SPEC = SPEC.movedBy(RECORD);
    static final PeerRequest.MigrationOffer OFFER = new PeerRequest.MigrationOffer("a", "2026.12.04-1", "Y3B1aW5mbw==",
            List.of("pipe:[123]", "pipe:[124]", "pipe:[125]"), false, List.of("/pool/a/alice"), false, "balanced", 0.4, 65536, 3);

    /** A request of every op. */
    static List<PeerRequest> requests() {
        return List.of(PeerRequest.list(), PeerRequest.moves(), PeerRequest.has("a.7"),
                PeerRequest.start(SPEC, Map.of("HOME", "/home/alice", "LANG", "C.UTF-8"), "/pool/a/alice"), PeerRequest.attach(MOVED_SPEC),
                PeerRequest.migrate("a.7", "home", 1000, MigrationMode.USHER), PeerRequest.migrateIn(MOVED_SPEC, OFFER),
                PeerRequest.checkpoint("a.7", 1000), PeerRequest.start(SPEC.checkpointed(5, 4), Map.of(), "/"),
                PeerRequest.settle(MOVED_SPEC.withEpoch(2), "b"), PeerRequest.compact("a.7", 3),
                PeerRequest.seal("a.7", dev.mosvm.api.Json.MAPPER.createObjectNode().put("format", 1).put("job", "a.7").put("number", 4)),
                PeerRequest.time(), PeerRequest.grant("c2VhbGVk"), PeerRequest.withdraw(), PeerRequest.revoke("bm90aWNl"));
    }

    /** Home's answers to a settle request, one of each verdict. */
    static List<PeerRequest.Settled> settlements() {
        return List.of(new PeerRequest.Settled(PeerRequest.Settled.TARGET_HAS_IT, 2), new PeerRequest.Settled(PeerRequest.Settled.SOURCE_RESUMES, 3));
    }

    /** Answers to a has request, one of each kind. */
    static List<Whereabouts> whereabouts() {
        return List.of(Whereabouts.runs(), Whereabouts.moving("c", 0), Whereabouts.left("node-c.pool", 3), Whereabouts.absent());
    }

    /** A frame of every type, with a payload of its shape (and for structured ones, of its meaning). */
    static List<Frame> frames() {
        List<Frame> all = new ArrayList<>();
        for (MessageType t : MessageType.values()) {
            all.add(switch (t) {
                case STDOUT, STDERR, STDIN, DATA -> new Frame(t, "some output\n\0\u00ff".getBytes(StandardCharsets.ISO_8859_1));
                case EXIT -> Frame.u32(t, 130);
                case SIGNAL -> Frame.u32(t, 15);
                case VERSION -> Frame.u32(t, Protocol.VERSION);
                case ERROR -> Frame.text(t, "no live node named 'c' in the pool");
                case LOST -> Frame.text(t, "job a.7 lost: its node b stopped answering (DEAD at 12:34:56); it had no checkpoint");
                case FENCED -> Frame.text(t, "the copy of job a.7 on b is stale: the job ended lost with that node; it is stopped");
                case STARTED -> Frame.text(t, "a.7");
                case LIST -> Frame.json(t, List.of(RECORD, RECORD));
                case REQUEST -> PeerRequest.migrateIn(SPEC, OFFER).frame();
                case REPLY -> Frame.json(t, RECORD);
                case COMMIT -> Frame.json(t, Map.of("signals", List.of(2, 15), "input", new byte[] {104, 105, 10}, "eof", true));
                case RECORD -> Frame.json(t, RECORD);
                case FILE -> ImageStreamCodec.file("2/pages-1.img");
                case FILE_END -> ImageStreamCodec.fileEnd(4096, 0x1234abcd);
                case LINK -> ImageStreamCodec.link("2/parent", "../1");
                case ROUND_END -> ImageStreamCodec.roundEnd("2");
                case ROUND_OK -> MigrationFrames.roundOk(1 << 30);
                case RESTORE -> new MigrationFrames.Restore(3).frame();
                case PAGES -> new MigrationFrames.Pages(2, 1).frame();
                case PAGES_READY -> new MigrationFrames.PagesReady(40123, "0123456789abcdef".repeat(11)).frame();
                case POSITION -> new OutputPosition(1L << 33, 17).frame();
                case STDIN_EOF, MOVED, EXIT_ACK, HOLD, HOLD_ACK, RESUME_CONTROL, ACCEPT, RESTORED, ABORT, RUNNING -> Frame.empty(t);
            });
        }
        return all;
    }

    /** A runner's stream to home after its agent restarted: the output sent again from where it stood, then on. */
    static List<Frame> jobStream() {
        return List.of(new OutputPosition(4096, 12).frame(), new Frame(MessageType.STDOUT, "line 7\n".getBytes(StandardCharsets.US_ASCII)),
                new Frame(MessageType.STDERR, "warning\n".getBytes(StandardCharsets.US_ASCII)), new OutputPosition(4103, 20).frame(),
                new Frame(MessageType.STDOUT, "line 8\n".getBytes(StandardCharsets.US_ASCII)), Frame.u32(MessageType.EXIT, 3));
    }

    /** The frames of a migration's conversation, source's and target's, in the order they are sent. */
    static List<Frame> migration() {
        return List.of(Frame.empty(MessageType.ACCEPT), new MigrationFrames.Pages(1, 0).frame(), new MigrationFrames.PagesReady(40000, "plain").frame(),
                MigrationFrames.roundOk(8192), new MigrationFrames.Pages(2, 1).frame(),
                new MigrationFrames.PagesReady(40001, "0123456789abcdef".repeat(11)).frame(), MigrationFrames.roundOk(0),
                new MigrationFrames.Restore(2).frame(), Frame.empty(MessageType.RESTORED),
                Frame.json(MessageType.COMMIT, Map.of("signals", List.of(), "input", new byte[0], "eof", false)),
                Frame.empty(MessageType.RUNNING), Frame.json(MessageType.RECORD, RECORD), Frame.text(MessageType.ERROR, "restore on b failed"));
    }

    /** One image round as the source sends it: two files (one of several data frames), the parent link, the end. */
    static List<Frame> imageRound() {
        List<Frame> round = new ArrayList<>();
        addFile(round, "2/core-1.img", "core".getBytes(StandardCharsets.US_ASCII));
        round.add(ImageStreamCodec.link("2/parent", "../1"));
        byte[] pages = new byte[300];
        for (int i = 0; i < pages.length; i++) pages[i] = (byte) (i * 7);
        addFile(round, "2/pagemap-1.img", pages);
        round.add(ImageStreamCodec.roundEnd("2"));
        return round;
    }

    private static void addFile(List<Frame> round, String path, byte[] content) {
        round.add(ImageStreamCodec.file(path));
        CRC32C crc = new CRC32C();
        for (int off = 0; off < content.length; off += 128) {
            byte[] chunk = java.util.Arrays.copyOfRange(content, off, Math.min(content.length, off + 128));
            crc.update(chunk);
            round.add(new Frame(MessageType.DATA, chunk));
        }
        round.add(ImageStreamCodec.fileEnd(content.length, (int) crc.getValue()));
    }

    /** Frames as a stream carries them. */
    static byte[] encode(List<Frame> frames) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (Frame f : frames) FrameCodec.write(out, f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}

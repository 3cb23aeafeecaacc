package dev.mosvm.agent.wire;

import dev.mosvm.api.MigrationRecord;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Every decoder of the wire package against 100,000 inputs each: random bytes, random bytes
 * behind a valid frame header, and valid encodings mutated (bytes, and the structure of JSON
 * payloads). A decoder either reads the input or refuses it with {@link MalformedFrameException}:
 * any other exception fails the property, and so does a decode that allocates more than a
 * frame at the limit and room for its own objects (a length read from the input and allocated
 * unchecked would).
 */
class WireFuzzTest {
    static final int TRIES = 100_000;
    /** The most one decode may allocate: a payload at {@link WireLimits#MAX_FRAME_PAYLOAD}, and the decoder's own objects. */
    static final long ALLOCATION_BOUND = WireLimits.MAX_FRAME_PAYLOAD + (256 << 10);
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What one decoder does with a stream of input. */
    interface Decoder {
        void decode(DataInputStream in) throws IOException;
    }

    /** A COMMIT's payload as the target reads it (jobs.Job.Held, which this package cannot see). */
    record Held(List<Integer> signals, byte[] input, boolean eof) {}

    static final Decoder FRAMES = in -> {
        while (FrameCodec.read(in) != null) {
            // every frame of the stream, to its end
        }
    };

    static final Decoder PEER_REQUEST = in -> {
        Frame f = FrameCodec.read(in);
        if (f != null) PeerRequest.decode(f);
    };

    /** Each frame of a migration's conversation through the decoder of its type, as source and target read them. */
    static final Decoder MIGRATION = in -> {
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            switch (f.type()) {
                case PAGES -> MigrationFrames.Pages.of(f);
                case PAGES_READY -> MigrationFrames.PagesReady.of(f);
                case RESTORE -> MigrationFrames.Restore.of(f);
                case ROUND_OK -> MigrationFrames.roundOk(f);
                case COMMIT -> f.json(Held.class);
                case RECORD, REPLY -> f.json(MigrationRecord.class);
                case ERROR -> f.text();
                default -> {}
            }
        }
    };

    /** A job's stream as home reads it from a runner: output, positions, the end. */
    static final Decoder JOB_STREAM = in -> {
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            if (f.type() == MessageType.POSITION) OutputPosition.of(f);
        }
    };

    /** Home's answer to a settle request, as the move's source reads it. */
    static final Decoder SETTLEMENT = in -> {
        Frame f = FrameCodec.read(in);
        if (f != null) PeerRequest.Settled.of(f);
    };

    /** A node's answer to a has request, as a home or a move's source reads it. */
    static final Decoder WHEREABOUTS = in -> {
        Frame f = FrameCodec.read(in);
        if (f != null) Whereabouts.of(f);
    };

    static final Decoder IMAGE_ROUND = in -> {
        ImageStreamCodec.Decoder round = new ImageStreamCodec.Decoder();
        for (Frame f; !round.ended() && (f = FrameCodec.read(in)) != null; ) round.next(f);
    };

    static {
        // the first decode of each kind builds the JSON mapper's readers and compiles patterns: not a per-input cost
        for (Decoder d : List.of(FRAMES, PEER_REQUEST, MIGRATION, SETTLEMENT, WHEREABOUTS, IMAGE_ROUND, JOB_STREAM)) {
            for (byte[] seed : List.of(WireSamples.encode(WireSamples.frames()), WireSamples.encode(WireSamples.migration()),
                    WireSamples.encode(WireSamples.imageRound()), WireSamples.encode(List.of(PeerRequest.list().frame())))) {
                try {
                    d.decode(new DataInputStream(new ByteArrayInputStream(seed)));
                } catch (IOException e) {
                    // a seed of another decoder's kind: refused, as it should be
                }
            }
        }
    }

    /** "read" or "refused"; anything but the codec's exception propagates and fails the property. */
    static String outcome(Decoder d, byte[] input) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(input));
        long before = THREADS.getCurrentThreadAllocatedBytes();
        String outcome;
        try {
            d.decode(in);
            outcome = "read";
        } catch (MalformedFrameException e) {
            outcome = "refused";
        } catch (IOException e) {
            throw new AssertionError("an IOException that is not the codec's: " + e, e);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated <= ALLOCATION_BOUND, "decoding " + input.length + " bytes allocated " + allocated);
        return outcome;
    }

    /** Checks one input, and that over all of them at least {@code readPercent} were read whole (the fuzzing gets past the first checks). */
    static void check(Decoder d, byte[] input, double readPercent) {
        Statistics.label("outcome").collect(outcome(d, input));
        Statistics.label("outcome").coverage(c -> {
            c.check("read").percentage(p -> p >= readPercent);
            c.check("refused").percentage(p -> p >= 10);
        });
    }

    @Property(tries = TRIES)
    void theFrameDecoderReadsOrRefuses(@ForAll("frameStreams") byte[] input) {
        check(FRAMES, input, 1);
    }

    @Property(tries = TRIES)
    void thePeerRequestDecoderReadsOrRefuses(@ForAll("requests") byte[] input) {
        check(PEER_REQUEST, input, 1);
    }

    @Property(tries = TRIES)
    void theMigrationDecodersReadOrRefuse(@ForAll("migrations") byte[] input) {
        check(MIGRATION, input, 1);
    }

    @Property(tries = TRIES)
    void theSettlementDecoderReadsOrRefuses(@ForAll("settlements") byte[] input) {
        check(SETTLEMENT, input, 1);
    }

    @Property(tries = TRIES)
    void theWhereaboutsDecoderReadsOrRefuses(@ForAll("whereabouts") byte[] input) {
        check(WHEREABOUTS, input, 1);
    }

    @Property(tries = TRIES)
    void theJobStreamDecoderReadsOrRefuses(@ForAll("jobStreams") byte[] input) {
        check(JOB_STREAM, input, 1);
    }

    @Property(tries = TRIES)
    void theImageStreamDecoderReadsOrRefuses(@ForAll("imageRounds") byte[] input) {
        check(IMAGE_ROUND, input, 0.1); // a round is read only if every file matches its checksum
    }

    @Provide
    Arbitrary<byte[]> frameStreams() {
        List<byte[]> seeds = WireSamples.frames().stream().map(f -> WireSamples.encode(List.of(f))).toList();
        return inputs(seeds, List.of(WireSamples.encode(WireSamples.frames())), b -> b);
    }

    @Provide
    Arbitrary<byte[]> jobStreams() {
        List<byte[]> seeds = WireSamples.jobStream().stream().map(f -> WireSamples.encode(List.of(f))).toList();
        return inputs(seeds, List.of(WireSamples.encode(WireSamples.jobStream())), b -> b);
    }

    @Provide
    Arbitrary<byte[]> requests() {
        List<byte[]> seeds = WireSamples.requests().stream().map(r -> WireSamples.encode(List.of(r.frame()))).toList();
        List<byte[]> payloads = WireSamples.requests().stream().map(r -> r.frame().payload()).toList();
        Arbitrary<byte[]> restructured = Arbitraries.longs().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] json = Mutations.json(payloads.get(r.nextInt(payloads.size())), r);
            return WireSamples.encode(List.of(new Frame(MessageType.REQUEST, json)));
        });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, inputs(seeds, seeds, b -> b)), net.jqwik.api.Tuple.of(2, restructured));
    }

    @Provide
    Arbitrary<byte[]> migrations() {
        List<byte[]> seeds = WireSamples.migration().stream().map(f -> WireSamples.encode(List.of(f))).toList();
        Arbitrary<byte[]> restructured = Arbitraries.longs().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Frame json = r.nextBoolean() ? WireSamples.migration().get(9) : WireSamples.migration().get(11); // COMMIT, RECORD
            return WireSamples.encode(List.of(new Frame(json.type(), Mutations.json(json.payload(), r))));
        });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, inputs(seeds, List.of(WireSamples.encode(WireSamples.migration())), b -> b)),
                net.jqwik.api.Tuple.of(1, restructured));
    }

    @Provide
    Arbitrary<byte[]> settlements() {
        return replies(WireSamples.settlements().stream().map(PeerRequest.Settled::frame).toList());
    }

    @Provide
    Arbitrary<byte[]> whereabouts() {
        return replies(WireSamples.whereabouts().stream().map(Whereabouts::frame).toList());
    }

    /** {@code frames} (JSON REPLY frames) mutated byte by byte, and their JSON restructured. */
    private static Arbitrary<byte[]> replies(List<Frame> frames) {
        List<byte[]> seeds = frames.stream().map(f -> WireSamples.encode(List.of(f))).toList();
        Arbitrary<byte[]> restructured = Arbitraries.longs().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            return WireSamples.encode(List.of(new Frame(MessageType.REPLY, Mutations.json(frames.get(r.nextInt(frames.size())).payload(), r))));
        });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, inputs(seeds, seeds, b -> b)), net.jqwik.api.Tuple.of(2, restructured));
    }

    @Provide
    Arbitrary<byte[]> imageRounds() {
        byte[] round = WireSamples.encode(WireSamples.imageRound());
        return inputs(List.of(round), List.of(round), b -> b);
    }

    /**
     * Random bytes; random bytes behind a header of a known type and a small length (past the
     * header checks, into the payload's); and {@code seeds} (or their concatenation
     * {@code streams}) mutated.
     */
    private static Arbitrary<byte[]> inputs(List<byte[]> seeds, List<byte[]> streams, Function<byte[], byte[]> finish) {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> behindAHeader = Arbitraries.longs().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            MessageType t = MessageType.values()[r.nextInt(MessageType.values().length)];
            int length = t.payload.fixedLength >= 0 && r.nextBoolean() ? t.payload.fixedLength : r.nextInt(0, 300);
            byte[] b = new byte[WireLimits.FRAME_HEADER_BYTES + r.nextInt(0, length + 8)];
            r.nextBytes(b);
            b[0] = (byte) t.code;
            b[1] = 0;
            b[2] = 0;
            b[3] = (byte) (length >>> 8);
            b[4] = (byte) length;
            return b;
        });
        List<byte[]> all = new java.util.ArrayList<>(seeds);
        all.addAll(streams);
        Arbitrary<byte[]> mutated = Arbitraries.longs().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            return Mutations.bytes(all.get(r.nextInt(all.size())), all, r);
        });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, random), net.jqwik.api.Tuple.of(2, behindAHeader), net.jqwik.api.Tuple.of(5, mutated))
                .map(finish);
    }
}

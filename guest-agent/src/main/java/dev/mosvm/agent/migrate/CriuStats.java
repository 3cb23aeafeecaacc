package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code criu dump} measured of itself (its {@code stats-dump} image): how long it took to
 * freeze the job and how long the job then stayed frozen while it was dumped. The freeze of a
 * migration starts there, not when the criu process was started (its own start-up under
 * emulation takes a few hundred ms of the job still running).
 *
 * <p>The image is CRIU's: one or two magic numbers, a little-endian length, then a protobuf
 * {@code stats_entry} whose field 1 is a {@code dump_stats_entry} (images/stats.proto).
 * Read with {@link Protobuf}'s few pieces.
 */
record CriuStats(long freezingMicros, long frozenMicros, long pagesWritten) {
    private static final int IMG_COMMON_MAGIC = 0x54564319;
    private static final int IMG_SERVICE_MAGIC = 0x55105940;

    /** Microseconds from the start of freezing the job to the end of the dump. */
    long stoppedMicros() {
        return freezingMicros + frozenMicros;
    }

    /** The figures of the dump whose images are in {@code dir}. */
    static CriuStats ofDump(Path dir) throws IOException {
        return parse(Files.readAllBytes(dir.resolve("stats-dump")));
    }

    static CriuStats parse(byte[] image) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            int magic = b.getInt();
            if (magic == IMG_COMMON_MAGIC || magic == IMG_SERVICE_MAGIC) b.getInt(); // then the image's own magic
            int size = b.getInt();
            ByteBuffer entry = Protobuf.slice(b, size);
            while (entry.hasRemaining()) {
                long key = Protobuf.varint(entry);
                if (key == (1 << 3 | 2)) return dump(Protobuf.slice(entry, (int) Protobuf.varint(entry)));
                Protobuf.skip(entry, (int) (key & 7));
            }
            throw new IOException("no dump figures in the stats image");
        } catch (RuntimeException e) {
            throw new IOException("unreadable CRIU stats image: " + e);
        }
    }

    private static CriuStats dump(ByteBuffer m) {
        long freezing = 0, frozen = 0, written = 0;
        while (m.hasRemaining()) {
            long key = Protobuf.varint(m);
            int field = (int) (key >>> 3);
            if ((key & 7) != 0) {
                Protobuf.skip(m, (int) (key & 7));
                continue;
            }
            long v = Protobuf.varint(m);
            if (field == 1) freezing = v;
            else if (field == 2) frozen = v;
            else if (field == 7) written = v;
        }
        return new CriuStats(freezing, frozen, written);
    }

}

package dev.mosvm.agent.migrate;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.ImageStreamCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.WireLimits;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A round of CRIU images sent file by file over the peer channel ({@link ImageStreamCodec}
 * has the format and its checks): this side reads and writes the files.
 */
final class ImageStream {
    private ImageStream() {}

    private static final int CHUNK = WireLimits.MAX_FRAME_PAYLOAD;

    /** Sends every file and symlink of {@code root/round}; returns the bytes sent. */
    static long send(DataOutputStream out, Path root, String round) throws IOException {
        Path dir = root.resolve(round);
        long bytes = 0;
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.sorted().toList();
        }
        byte[] buf = new byte[CHUNK];
        for (Path p : entries) {
            String name = round + "/" + p.getFileName();
            if (name.endsWith(".log")) continue; // CRIU's logs stay with the node that wrote them
            if (Files.isSymbolicLink(p)) {
                FrameCodec.write(out, ImageStreamCodec.link(name, Files.readSymbolicLink(p).toString()));
                continue;
            }
            FrameCodec.write(out, ImageStreamCodec.file(name));
            CRC32C crc = new CRC32C();
            long size = 0;
            try (InputStream in = Files.newInputStream(p)) {
                for (int n; (n = in.readNBytes(buf, 0, CHUNK)) > 0; ) {
                    crc.update(buf, 0, n);
                    FrameCodec.write(out, MessageType.DATA, buf, n);
                    size += n;
                }
            }
            FrameCodec.write(out, ImageStreamCodec.fileEnd(size, (int) crc.getValue()));
            bytes += size;
        }
        FrameCodec.write(out, ImageStreamCodec.roundEnd(round));
        return bytes;
    }

    /**
     * Receives one round into {@code root}, beginning with {@code first} (read by the caller,
     * which recognised the start of a round), up to and including its ROUND_END.
     */
    static void receive(DataInputStream in, Path root, Frame first) throws IOException {
        ImageStreamCodec.Decoder round = new ImageStreamCodec.Decoder();
        Frame f = first;
        OutputStream file = null;
        try {
            while (true) {
                ImageStreamCodec.Event e = round.next(f);
                if (e instanceof ImageStreamCodec.FileBegins b) {
                    Path p = root.resolve(b.path());
                    Files.createDirectories(p.getParent());
                    file = Files.newOutputStream(p);
                } else if (e instanceof ImageStreamCodec.FileData d) {
                    file.write(d.bytes());
                } else if (e instanceof ImageStreamCodec.FileEnds end) {
                    file.close();
                    file = null;
                    if (Files.size(root.resolve(end.path())) != end.size()) throw new IOException("checksum mismatch in " + end.path());
                } else if (e instanceof ImageStreamCodec.Link l) {
                    Path link = root.resolve(l.path());
                    Files.createDirectories(link.getParent());
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, Path.of(l.target()));
                } else {
                    return; // the round's end
                }
                f = FrameCodec.read(in);
                if (f == null) throw new IOException("the source went away during a round");
            }
        } finally {
            if (file != null) file.close();
        }
    }
}

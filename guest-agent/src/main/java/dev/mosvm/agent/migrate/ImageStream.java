package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.JobFrames;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A round of CRIU images sent file by file over the peer channel, each file followed by its
 * size and CRC32C, which the receiver checks against what it wrote. (The channel's AES-GCM
 * already refuses altered records; the checksum covers the files end to end.)
 */
final class ImageStream {
    private ImageStream() {}

    private static final int CHUNK = 1 << 20;

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
                JobFrames.write(out, MigrationFrames.LINK, (name + "\0" + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            JobFrames.write(out, MigrationFrames.FILE, name.getBytes(StandardCharsets.UTF_8));
            CRC32C crc = new CRC32C();
            long size = 0;
            try (InputStream in = Files.newInputStream(p)) {
                for (int n; (n = in.readNBytes(buf, 0, CHUNK)) > 0; ) {
                    crc.update(buf, 0, n);
                    JobFrames.write(out, MigrationFrames.DATA, buf, n);
                    size += n;
                }
            }
            JobFrames.write(out, MigrationFrames.FILE_END, ByteBuffer.allocate(12).putLong(size).putInt((int) crc.getValue()).array());
            bytes += size;
        }
        JobFrames.write(out, MigrationFrames.ROUND_END, round.getBytes(StandardCharsets.UTF_8));
        return bytes;
    }

    /**
     * Receives one round into {@code root}, checking every path stays inside it and every file
     * matches its size and checksum. Returns the round's name, or null if the next frame is not
     * a round (it is then in {@code first}'s place: the caller handles it).
     */
    static void receive(DataInputStream in, Path root, JobFrames.Frame first) throws IOException {
        JobFrames.Frame f = first;
        OutputStream file = null;
        Path current = null;
        CRC32C crc = new CRC32C();
        long size = 0;
        try {
            while (true) {
                switch (f.kind()) {
                    case MigrationFrames.FILE -> {
                        current = inside(root, new String(f.payload(), StandardCharsets.UTF_8));
                        Files.createDirectories(current.getParent());
                        file = Files.newOutputStream(current);
                        crc.reset();
                        size = 0;
                    }
                    case MigrationFrames.DATA -> {
                        if (file == null) throw new IOException("image data outside a file");
                        file.write(f.payload());
                        crc.update(f.payload());
                        size += f.payload().length;
                    }
                    case MigrationFrames.FILE_END -> {
                        if (file == null) throw new IOException("end of a file that was not begun");
                        file.close();
                        file = null;
                        ByteBuffer b = ByteBuffer.wrap(f.payload());
                        long wantSize = b.getLong();
                        int wantCrc = b.getInt();
                        if (wantSize != size || wantCrc != (int) crc.getValue() || Files.size(current) != size) {
                            throw new IOException("checksum mismatch in " + root.relativize(current));
                        }
                    }
                    case MigrationFrames.LINK -> {
                        String[] parts = new String(f.payload(), StandardCharsets.UTF_8).split("\0", 2);
                        Path link = inside(root, parts[0]);
                        if (parts.length != 2 || !parts[1].matches("\\.\\./[0-9]+")) throw new IOException("bad image link " + parts[0]);
                        Files.createDirectories(link.getParent());
                        Files.deleteIfExists(link);
                        Files.createSymbolicLink(link, Path.of(parts[1]));
                    }
                    case MigrationFrames.ROUND_END -> {
                        if (file != null) throw new IOException("round ended inside a file");
                        return;
                    }
                    default -> throw new IOException("unexpected frame " + f.kind() + " in an image round");
                }
                f = JobFrames.read(in);
                if (f == null) throw new IOException("the source went away during a round");
            }
        } finally {
            if (file != null) file.close();
        }
    }

    private static Path inside(Path root, String name) throws IOException {
        if (!name.matches("[0-9]+/[A-Za-z0-9._-]+")) throw new IOException("bad image path " + name);
        return root.resolve(name);
    }
}

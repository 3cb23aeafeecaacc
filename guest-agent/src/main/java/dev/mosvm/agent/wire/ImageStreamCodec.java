package dev.mosvm.agent.wire;

import java.nio.ByteBuffer;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A round of CRIU images sent file by file on the peer connection (all but its memory pages,
 * which CRIU streams to the target's page server):
 * <pre>
 *   round = (file | LINK "ROUND/NAME\0../PARENT")* ROUND_END "ROUND"
 *   file  = FILE "ROUND/NAME"  DATA*  FILE_END size:u64 crc32c:u32
 * </pre>
 * Each file's size and CRC32C are checked on arrival (the channel's AES-GCM already refuses
 * altered records; the checksum covers the files end to end, through the disk they are written to).
 */
public final class ImageStreamCodec {
    private ImageStreamCodec() {}

    /** "ROUND/NAME": a file directly in a round's directory, never ".", ".." or a path of its own. */
    private static final Pattern IMAGE_PATH = Pattern.compile("([1-9][0-9]{0,8})/([A-Za-z0-9._-]{1," + WireLimits.MAX_IMAGE_NAME_BYTES + "})");
    /** The one link a round has: "parent", to the round before. */
    private static final Pattern PARENT_LINK = Pattern.compile("\\.\\./([1-9][0-9]{0,8})");

    public static Frame file(String path) {
        return Frame.text(MessageType.FILE, path);
    }

    public static Frame fileEnd(long size, int crc32c) {
        return new Frame(MessageType.FILE_END, ByteBuffer.allocate(12).putLong(size).putInt(crc32c).array());
    }

    public static Frame link(String path, String target) {
        return Frame.text(MessageType.LINK, path + "\0" + target);
    }

    public static Frame roundEnd(String round) {
        return Frame.text(MessageType.ROUND_END, round);
    }

    /** What a frame of the stream means to the receiver, once checked. */
    public sealed interface Event {}

    /** Create {@code path} (relative to the migration's directory) and write the data that follows into it. */
    public record FileBegins(String path) implements Event {}

    /** The next bytes of the current file. */
    public record FileData(byte[] bytes) implements Event {}

    /** The current file is complete: {@code size} bytes, which matched the sender's size and checksum. */
    public record FileEnds(String path, long size) implements Event {}

    /** Make {@code path} a symlink to {@code target} ("../ROUND"). */
    public record Link(String path, String target) implements Event {}

    /** The round is complete. */
    public record RoundEnds(int round) implements Event {}

    /**
     * Reads one round, frame by frame: checks every frame comes in its place, every path stays
     * in a round's directory, and every file matches its size and checksum. No state beyond a
     * running checksum: data frames pass through.
     */
    public static final class Decoder {
        private final CRC32C crc = new CRC32C();
        private String current;
        private long size;
        private boolean ended;

        public Event next(Frame f) throws MalformedFrameException {
            if (ended) throw new MalformedFrameException("a " + f.type() + " frame after the round ended");
            switch (f.type()) {
                case FILE -> {
                    if (current != null) throw new MalformedFrameException("a file begun inside " + current);
                    current = imagePath(f.field());
                    crc.reset();
                    size = 0;
                    return new FileBegins(current);
                }
                case DATA -> {
                    if (current == null) throw new MalformedFrameException("image data outside a file");
                    crc.update(f.payload());
                    size += f.payload().length;
                    return new FileData(f.payload());
                }
                case FILE_END -> {
                    if (current == null) throw new MalformedFrameException("end of a file that was not begun");
                    ByteBuffer b = ByteBuffer.wrap(f.payload());
                    long wantSize = b.getLong();
                    int wantCrc = b.getInt();
                    if (wantSize != size || wantCrc != (int) crc.getValue()) throw new MalformedFrameException("checksum mismatch in " + current);
                    FileEnds end = new FileEnds(current, size);
                    current = null;
                    return end;
                }
                case LINK -> {
                    if (current != null) throw new MalformedFrameException("link inside file " + current);
                    String[] parts = f.field().split("\0", -1);
                    String path = imagePath(parts[0]);
                    if (parts.length != 2 || !PARENT_LINK.matcher(parts[1]).matches()) throw new MalformedFrameException("bad image link " + path);
                    MigrationFrames.roundNumber(parts[1].substring(3), "link to round");
                    return new Link(path, parts[1]);
                }
                case ROUND_END -> {
                    if (current != null) throw new MalformedFrameException("round ended inside file " + current);
                    ended = true;
                    return new RoundEnds(MigrationFrames.roundNumber(f.field(), "round"));
                }
                default -> throw new MalformedFrameException("unexpected frame " + f.type() + " in an image round");
            }
        }

        /** Whether the round's ROUND_END has come. */
        public boolean ended() {
            return ended;
        }

        private static String imagePath(String path) throws MalformedFrameException {
            var m = IMAGE_PATH.matcher(path);
            if (!m.matches() || m.group(2).equals(".") || m.group(2).equals("..")) throw new MalformedFrameException("bad image path " + MalformedFrameException.quoted(path));
            MigrationFrames.roundNumber(m.group(1), "round");
            return path;
        }
    }
}

package dev.mosvm.agent.migrate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One CRIU pagemap image ({@code pagemap-PID.img}): which pages of a process an image holds,
 * which stay in the parent (pre-copy) image, and which may be restored lazily. Read and
 * written in CRIU's format (images/pagemap.proto): magic numbers, then records of a
 * little-endian length and a protobuf message, the first a {@code pagemap_head}.
 */
record Pagemap(byte[] magics, long pagesId, List<Entry> entries) {
    /** The page is in the parent image. */
    static final int PE_PARENT = 1;
    /** The page may be restored after the process resumes (userfaultfd). */
    static final int PE_LAZY = 2;
    /** The page is in this image's pages file. */
    static final int PE_PRESENT = 4;
    static final long PAGE = 4096;

    record Entry(long vaddr, long pages, int flags) {
        long end() {
            return vaddr + pages * PAGE;
        }

        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    static Pagemap read(Path file) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magics = new byte[8]; // CRIU's common magic, then the pagemap's
            b.get(magics);
            long pagesId = 0;
            List<Entry> entries = new ArrayList<>();
            boolean head = true;
            while (b.hasRemaining()) {
                ByteBuffer m = Protobuf.slice(b, b.getInt());
                long vaddr = 0, pages = 0, id = 0;
                int flags = 0;
                boolean inParent = false;
                boolean hasFlags = false;
                while (m.hasRemaining()) {
                    long key = Protobuf.varint(m);
                    int field = (int) (key >>> 3);
                    if ((key & 7) != 0) {
                        Protobuf.skip(m, (int) (key & 7));
                        continue;
                    }
                    long v = Protobuf.varint(m);
                    if (head && field == 1) id = v;
                    else if (field == 1) vaddr = v;
                    else if (field == 2) pages = v;
                    else if (field == 3) inParent = v != 0;
                    else if (field == 4) {
                        flags = (int) v;
                        hasFlags = true;
                    }
                }
                if (head) {
                    pagesId = id;
                    head = false;
                } else {
                    // images from before flags said "in parent" with a bool; everything else was present
                    if (!hasFlags) flags = inParent ? PE_PARENT : PE_PRESENT;
                    entries.add(new Entry(vaddr, pages, flags));
                }
            }
            return new Pagemap(magics, pagesId, List.copyOf(entries));
        } catch (RuntimeException e) {
            throw new IOException("unreadable pagemap " + file.getFileName() + ": " + e);
        }
    }

    /** Writes this pagemap over {@code file}, atomically (a reader sees the old or the new one). */
    void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** This pagemap in CRIU's format. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(magics);
        record(out, Protobuf.field(1, pagesId));
        for (Entry e : entries) {
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            m.writeBytes(Protobuf.field(1, e.vaddr));
            m.writeBytes(Protobuf.field(2, e.pages));
            m.writeBytes(Protobuf.field(4, e.flags));
            record(out, m.toByteArray());
        }
        return out.toByteArray();
    }

    private static void record(ByteArrayOutputStream out, byte[] message) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(message.length).array());
        out.writeBytes(message);
    }

    Pagemap withEntries(List<Entry> replaced) {
        return new Pagemap(magics, pagesId, List.copyOf(replaced));
    }

    /** The same pages kept in another pages file ({@code pages-ID.img}). */
    Pagemap withPagesId(long id) {
        return new Pagemap(magics, id, entries);
    }

    /** The name of the pages file this pagemap's present pages are in. */
    String pagesFileName() {
        return "pages-" + pagesId + ".img";
    }
}

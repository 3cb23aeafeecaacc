package dev.mosvm.agent.migrate;

import dev.mosvm.agent.migrate.Pagemap.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Process images as CRIU writes them (a pagemap and its pages file), for tests of other
 * packages: each present page starts with a tag (which dump wrote it) and its page number; and
 * the bytes CRIU would restore at a page, following parent links as it does.
 */
public final class CriuImages {
    public static final int PARENT = Pagemap.PE_PARENT;
    public static final int PRESENT = Pagemap.PE_PRESENT;
    public static final int LAZY = Pagemap.PE_PRESENT | Pagemap.PE_LAZY;
    public static final long PAGE = Pagemap.PAGE;

    private CriuImages() {}

    /** One pagemap entry: {@code pages} pages from page number {@code page}. */
    public record Run(long page, long pages, int flags) {}

    /** Writes {@code pagemap-PID.img} and {@code pages-ID.img} into {@code dir}. */
    public static void write(Path dir, int pid, long pagesId, int tag, Run... runs) throws IOException {
        List<Entry> entries = new ArrayList<>();
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        for (Run r : runs) {
            Entry e = new Entry(r.page() * PAGE, r.pages(), r.flags());
            entries.add(e);
            if (!e.has(Pagemap.PE_PRESENT)) continue;
            for (long p = 0; p < r.pages(); p++) {
                byte[] page = new byte[(int) PAGE];
                page[0] = (byte) tag;
                page[1] = (byte) (r.page() + p);
                pages.writeBytes(page);
            }
        }
        new Pagemap(FlatImageTest.MAGICS, pagesId, entries).write(dir.resolve("pagemap-" + pid + ".img"));
        Files.write(dir.resolve("pages-" + pagesId + ".img"), pages.toByteArray());
    }

    /** The pages process {@code pid} has in the image in {@code dir}, as page numbers (held or in a parent). */
    public static List<Long> pages(Path dir, int pid) throws IOException {
        List<Long> out = new ArrayList<>();
        for (Entry e : Pagemap.read(dir.resolve("pagemap-" + pid + ".img")).entries()) {
            for (long p = 0; p < e.pages(); p++) out.add(e.vaddr() / PAGE + p);
        }
        return out;
    }

    /** What CRIU restores at page number {@code page} of {@code pid} from {@code dir}: from its pages file, or its parent's. */
    public static byte[] restored(Path dir, int pid, long page) throws IOException {
        Pagemap map = Pagemap.read(dir.resolve("pagemap-" + pid + ".img"));
        long vaddr = page * PAGE;
        long offset = 0;
        for (Entry e : map.entries()) {
            if (vaddr >= e.vaddr() && vaddr < e.end()) {
                if (e.has(Pagemap.PE_PARENT)) return restored(dir.resolve("parent"), pid, page);
                if (!e.has(Pagemap.PE_PRESENT)) throw new IOException("page " + page + " is neither held nor in a parent");
                try (FileChannel ch = FileChannel.open(dir.resolve(map.pagesFileName()))) {
                    ByteBuffer b = ByteBuffer.allocate((int) PAGE);
                    ch.read(b, offset + (vaddr - e.vaddr()));
                    if (b.hasRemaining()) throw new IOException("short pages file in " + dir);
                    return b.array();
                }
            }
            if (e.has(Pagemap.PE_PRESENT)) offset += e.pages() * PAGE;
        }
        throw new IOException("no page " + page + " in " + dir);
    }
}

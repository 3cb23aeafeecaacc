package dev.mosvm.agent.migrate;

import static dev.mosvm.agent.migrate.Pagemap.PAGE;
import static dev.mosvm.agent.migrate.Pagemap.PE_LAZY;
import static dev.mosvm.agent.migrate.Pagemap.PE_PARENT;
import static dev.mosvm.agent.migrate.Pagemap.PE_PRESENT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mosvm.agent.migrate.Pagemap.Entry;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlatImageTest {
    static final int LAZY = PE_PRESENT | PE_LAZY;
    static final byte[] MAGICS = {0x19, 0x43, 0x56, 0x54, 0x25, 0x40, 0x08, 0x56};
    @TempDir Path dir;

    static Entry e(long page, long pages, int flags) {
        return new Entry(page * PAGE, pages, flags);
    }

    @Test
    void onlyPagesChangedSinceTheFirstRoundAreCopiedToWhereItKeepsThem() {
        List<Entry> round1 = List.of(e(0, 4, PE_PRESENT), e(10, 90, LAZY)); // a stack, then a heap
        List<Entry> round2 = List.of(e(0, 4, PE_PARENT), e(10, 10, PE_PARENT), e(20, 1, LAZY), e(21, 79, PE_PARENT));
        List<Entry> round3 = List.of(e(0, 2, PE_PARENT), e(2, 1, PE_PRESENT), e(3, 1, PE_PARENT), e(10, 50, PE_PARENT), e(60, 2, LAZY),
                e(62, 38, PE_PARENT));
        assertEquals(List.of(
                        new FlatImage.Copy(0, 0, 2 * PAGE, PAGE),                // stack page 2, from the last round
                        new FlatImage.Copy(1, 0, (4 + 10) * PAGE, PAGE),         // heap page 20, from round 2
                        new FlatImage.Copy(0, PAGE, (4 + 50) * PAGE, 2 * PAGE)), // heap pages 60-61, from the last round
                FlatImage.plan(List.of(round3, round2, round1)));
    }

    @Test
    void noPlanWhenTheProcessMappedOrDroppedPagesSinceTheFirstRound() {
        List<Entry> round1 = List.of(e(0, 10, LAZY));
        assertNull(FlatImage.plan(List.of(List.of(e(0, 10, PE_PARENT), e(10, 1, LAZY)), round1)), "a page more");
        assertNull(FlatImage.plan(List.of(List.of(e(0, 9, PE_PARENT)), round1)), "a page less");
        assertEquals(List.of(), FlatImage.plan(List.of(List.of(e(0, 3, PE_PARENT), e(3, 7, PE_PARENT)), round1)), "the same pages, none changed");
    }

    @Test
    void theLastImageReadsBackTheNewestCopyOfEveryPage() throws Exception {
        // three rounds on disk as CRIU leaves them; every page's content says which round wrote it
        List<Entry> round1 = List.of(e(0, 2, PE_PRESENT), e(8, 6, LAZY));
        List<Entry> round2 = List.of(e(0, 2, PE_PARENT), e(8, 1, LAZY), e(9, 5, PE_PARENT));
        List<Entry> round3 = List.of(e(0, 1, PE_PRESENT), e(1, 1, PE_PARENT), e(8, 2, PE_PARENT), e(10, 1, LAZY), e(11, 3, PE_PARENT));
        Path r1 = image(dir.resolve("1"), 11, round1, 1, null);
        Path r2 = image(dir.resolve("2"), 22, round2, 2, "../1");
        Path r3 = image(dir.resolve("3"), 33, round3, 3, "../2");
        Map<Long, Integer> expected = new HashMap<>(Map.of(0L, 3, 1L, 1, 8L, 2, 9L, 1, 10L, 3, 11L, 1, 12L, 1, 13L, 1));

        assertArrayEquals(new int[] {1, 1}, LazyPages.flatten(r3));

        Pagemap flat = Pagemap.read(r3.resolve("pagemap-1.img"));
        assertEquals(33, flat.pagesId(), "the last round's own pages file");
        assertEquals(round1, flat.entries(), "the first round's pages and CRIU's lazy flags, nothing in a parent");
        byte[] pages = Files.readAllBytes(r3.resolve("pages-33.img"));
        long offset = 0;
        for (Entry en : flat.entries()) {
            for (long p = 0; p < en.pages(); p++, offset += PAGE) {
                long page = en.vaddr() / PAGE + p;
                assertEquals((int) expected.get(page), pages[(int) offset], "page " + page + " holds the newest copy");
                assertEquals((byte) page, pages[(int) offset + 1]);
            }
        }
        assertEquals(offset, pages.length);
    }

    @Test
    void aFullCheckpointDumpedAfterAPreDumpIsMadeWholeInItsOwnDirectory() throws Exception {
        // the pre-dump inside the checkpoint's directory, and the dump on it (CRIU links it as parent -> pre)
        Path checkpoint = dir.resolve("4");
        image(checkpoint.resolve(JobImages.PRE_DUMP), 11, List.of(e(0, 2, PE_PRESENT), e(8, 4, LAZY)), 1, null);
        image(checkpoint, 22, List.of(e(0, 1, PE_PARENT), e(1, 1, PE_PRESENT), e(8, 3, PE_PARENT), e(11, 1, LAZY)), 2, JobImages.PRE_DUMP);
        Files.writeString(checkpoint.resolve("core-1.img"), "registers");

        JobImages.wholeAfterPreDump(checkpoint);

        try (var left = Files.list(checkpoint)) {
            assertEquals(List.of("core-1.img", "pagemap-1.img", "pages-22.img"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "one full checkpoint: no pre-dump, no link to it");
        }
        byte[] pages = Files.readAllBytes(checkpoint.resolve("pages-22.img"));
        Map<Long, Integer> newest = Map.of(0L, 1, 1L, 2, 8L, 1, 9L, 1, 10L, 1, 11L, 2);
        long offset = 0;
        for (Entry en : Pagemap.read(checkpoint.resolve("pagemap-1.img")).entries()) {
            assertEquals(0, en.flags() & PE_PARENT, "nothing in a parent");
            for (long p = 0; p < en.pages(); p++, offset += PAGE) {
                long page = en.vaddr() / PAGE + p;
                assertEquals((int) newest.get(page), pages[(int) offset], "page " + page + " as the job left it at the dump");
            }
        }
        assertEquals(6 * PAGE, pages.length);
    }

    @Test
    void aPreDumpedCheckpointWhoseProcessMappedMemorySinceIsNotMadeWhole() throws Exception {
        Path checkpoint = dir.resolve("5");
        image(checkpoint.resolve(JobImages.PRE_DUMP), 11, List.of(e(0, 2, PE_PRESENT)), 1, null);
        image(checkpoint, 22, List.of(e(0, 2, PE_PARENT), e(2, 1, PE_PRESENT)), 2, JobImages.PRE_DUMP); // a page more
        java.io.IOException x = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> JobImages.wholeAfterPreDump(checkpoint));
        assertEquals("1 of its 1 processes mapped or dropped memory between the pre-dump and the dump", x.getMessage());
    }

    /** A round's pagemap and pages file: each present page starts with the round number and its page number. */
    static Path image(Path round, long pagesId, List<Entry> entries, int tag, String parent) throws Exception {
        Files.createDirectories(round);
        new Pagemap(MAGICS, pagesId, entries).write(round.resolve("pagemap-1.img"));
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        for (Entry en : entries) {
            if (!en.has(PE_PRESENT)) continue;
            for (long p = 0; p < en.pages(); p++) {
                byte[] page = new byte[(int) PAGE];
                page[0] = (byte) tag;
                page[1] = (byte) (en.vaddr() / PAGE + p);
                pages.write(page);
            }
        }
        Files.write(round.resolve("pages-" + pagesId + ".img"), pages.toByteArray());
        if (parent != null) Files.createSymbolicLink(round.resolve("parent"), Path.of(parent));
        return round;
    }

    @Test
    void aPagemapReadsBackAsWritten() throws Exception {
        Pagemap map = new Pagemap(MAGICS, 65537, new ArrayList<>(List.of(e(0x7f0000000L, 3, PE_PARENT), e(0x7f0000003L, 1, LAZY))));
        Path f = dir.resolve("pagemap-9.img");
        map.write(f);
        Pagemap back = Pagemap.read(f);
        assertEquals(65537, back.pagesId());
        assertEquals(map.entries(), back.entries());
        assertArrayEquals(MAGICS, back.magics());
    }
}

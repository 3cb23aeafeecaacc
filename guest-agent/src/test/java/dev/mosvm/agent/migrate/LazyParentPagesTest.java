package dev.mosvm.agent.migrate;

import static dev.mosvm.agent.migrate.Pagemap.PE_LAZY;
import static dev.mosvm.agent.migrate.Pagemap.PE_PARENT;
import static dev.mosvm.agent.migrate.Pagemap.PE_PRESENT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.migrate.Pagemap.Entry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyParentPagesTest {
    static final long P = Pagemap.PAGE;
    @TempDir Path dir;

    static Entry e(long page, long pages, int flags) {
        return new Entry(page * P, pages, flags);
    }

    @Test
    void pagesUnchangedSincePreCopyBecomeLazyWhereTheirImageSaysTheyMayBe() {
        // round 1 dumped a heap (lazy-capable) and a stack (not); the last round changed one heap page
        List<Entry> round1 = List.of(e(0, 100, PE_PRESENT | PE_LAZY), e(200, 4, PE_PRESENT));
        List<Entry> last = List.of(e(0, 10, PE_PARENT), e(10, 1, PE_PRESENT | PE_LAZY), e(11, 89, PE_PARENT), e(200, 4, PE_PARENT));
        assertEquals(List.of(e(0, 10, PE_PARENT | PE_LAZY), e(10, 1, PE_PRESENT | PE_LAZY), e(11, 89, PE_PARENT | PE_LAZY), e(200, 4, PE_PARENT)),
                LazyParentPages.mark(last, List.of(round1)));
    }

    @Test
    void aHoleSpanningLazyAndEagerPagesInItsParentIsSplit() {
        List<Entry> parent = List.of(e(0, 4, PE_PRESENT | PE_LAZY), e(4, 4, PE_PRESENT), e(8, 2, PE_PRESENT | PE_LAZY));
        assertEquals(List.of(e(2, 2, PE_PARENT | PE_LAZY), e(4, 4, PE_PARENT), e(8, 1, PE_PARENT | PE_LAZY)),
                LazyParentPages.mark(List.of(e(2, 7, PE_PARENT)), List.of(parent)));
    }

    @Test
    void theChainIsFollowedToTheImageThatHoldsThePage() {
        List<Entry> round1 = List.of(e(0, 8, PE_PRESENT | PE_LAZY));
        List<Entry> round2 = List.of(e(0, 4, PE_PARENT), e(4, 4, PE_PRESENT | PE_LAZY));
        assertEquals(List.of(e(0, 8, PE_PARENT | PE_LAZY)), LazyParentPages.mark(List.of(e(0, 8, PE_PARENT)), List.of(round2, round1)),
                "half from round 2, half from round 1, all lazy: one entry");
    }

    @Test
    void pagesNoImageHoldsAreLeftAsCriuWroteThem() {
        List<Entry> parent = List.of(e(4, 2, PE_PRESENT | PE_LAZY));
        assertEquals(List.of(e(2, 2, PE_PARENT), e(4, 2, PE_PARENT | PE_LAZY), e(6, 2, PE_PARENT)),
                LazyParentPages.mark(List.of(e(2, 6, PE_PARENT)), List.of(parent)));
        assertEquals(List.of(e(0, 3, PE_PARENT)), LazyParentPages.mark(List.of(e(0, 3, PE_PARENT)), List.of()));
    }

    @Test
    void aRewrittenPagemapReadsBackAsWritten() throws Exception {
        Pagemap map = new Pagemap(new byte[] {0x19, 0x43, 0x56, 0x54, 0x25, 0x40, 0x08, 0x56}, 1,
                List.of(e(0x7f0000000L, 3, PE_PARENT | PE_LAZY), e(0x7f0000003L, 1, PE_PRESENT | PE_LAZY)));
        Path f = dir.resolve("pagemap-1.img");
        map.write(f);
        Pagemap back = Pagemap.read(f);
        assertEquals(map.pagesId(), back.pagesId());
        assertEquals(map.entries(), back.entries());
    }
}

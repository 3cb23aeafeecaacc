package dev.mosvm.agent.migrate;

import dev.mosvm.agent.migrate.Pagemap.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Lets a pre-copied job resume before its memory is copied in. CRIU restores lazily (through
 * userfaultfd, after the job resumes) only pages the last image marks lazy; pages unchanged
 * since a pre-copy round are marked "in parent" and copied in before the job resumes, which
 * under emulation is most of the freeze (about 3 s for 500 MiB). Every pre-copied page is
 * already on the target, so this marks a page held in a parent lazy exactly where the parent
 * image that holds it says CRIU found it lazy-capable (private anonymous memory, not a stack):
 * CRIU's own decision, made when it dumped that page, carried to the last image. Pure.
 */
final class LazyParentPages {
    private LazyParentPages() {}

    /**
     * The last image's entries with its parent pages marked lazy where the image holding them
     * says they may be.
     *
     * @param parents the parent chain's entries, nearest parent first
     */
    static List<Entry> mark(List<Entry> top, List<List<Entry>> parents) {
        List<NavigableMap<Long, Entry>> chain = new ArrayList<>();
        for (List<Entry> p : parents) {
            NavigableMap<Long, Entry> byStart = new TreeMap<>();
            for (Entry e : p) byStart.put(e.vaddr(), e);
            chain.add(byStart);
        }
        List<Entry> out = new ArrayList<>();
        for (Entry e : top) {
            if (!e.has(Pagemap.PE_PARENT) || e.has(Pagemap.PE_LAZY)) {
                out.add(e);
                continue;
            }
            List<Entry> parts = new ArrayList<>();
            split(e.vaddr(), e.end(), 0, chain, parts);
            // within this entry only: CRIU's entries end at its VMAs' bounds, and so do these
            List<Entry> mine = new ArrayList<>();
            for (Entry p : parts) add(mine, new Entry(p.vaddr(), p.pages(), e.flags() | (p.has(Pagemap.PE_LAZY) ? Pagemap.PE_LAZY : 0)));
            out.addAll(mine);
        }
        return out;
    }

    /** Splits [from, to) by whether the image at {@code depth} of the chain (or one behind it) holds it as lazy. */
    private static void split(long from, long to, int depth, List<NavigableMap<Long, Entry>> chain, List<Entry> parts) {
        if (depth >= chain.size()) {
            parts.add(range(from, to, false)); // no image holds it: leave it as CRIU wrote it
            return;
        }
        NavigableMap<Long, Entry> image = chain.get(depth);
        long at = from;
        Long start = image.floorKey(from);
        for (Entry p : (start == null ? image : image.tailMap(start, true)).values()) {
            if (p.vaddr() >= to) break;
            if (p.end() <= at) continue;
            if (p.vaddr() > at) parts.add(range(at, p.vaddr(), false)); // a gap in this image: not ours to mark
            long end = Math.min(to, p.end());
            long begin = Math.max(at, p.vaddr());
            if (p.has(Pagemap.PE_PARENT)) split(begin, end, depth + 1, chain, parts);
            else parts.add(range(begin, end, p.has(Pagemap.PE_PRESENT) && p.has(Pagemap.PE_LAZY)));
            at = end;
        }
        if (at < to) parts.add(range(at, to, false));
    }

    private static Entry range(long from, long to, boolean lazy) {
        return new Entry(from, (to - from) / Pagemap.PAGE, lazy ? Pagemap.PE_LAZY : 0);
    }

    /** Appends {@code e}, merged into the entry before it when they touch and have the same flags. */
    private static void add(List<Entry> out, Entry e) {
        if (e.pages() == 0) return;
        if (!out.isEmpty()) {
            Entry last = out.get(out.size() - 1);
            if (last.end() == e.vaddr() && last.flags() == e.flags()) {
                out.set(out.size() - 1, new Entry(last.vaddr(), last.pages() + e.pages(), e.flags()));
                return;
            }
        }
        out.add(e);
    }
}

package dev.mosvm.agent.migrate;

import dev.mosvm.agent.migrate.Pagemap.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Plans turning a pre-copied process image (the last round, its pages "in parent" rounds
 * before it) into one self-contained image, so CRIU can restore all of it lazily. CRIU 3.17
 * restores lazily only pages the last image holds itself (its lazy-pages daemon reads pages
 * held by a parent image but never hands them to the process: the job hangs on its first
 * fault there), yet after pre-copy nearly all pages are held by the first round.
 *
 * <p>So the first round's pages file becomes the last image's: every page that a later round
 * changed is written over its old copy in that file, at the offset the first round gave it,
 * and the last image takes the first round's pagemap, flags included (CRIU's own choice of
 * which pages may be lazy). That needs the process to have exactly the pages it had at the
 * first round; when it does not (it mapped or dropped memory since), there is no plan, and
 * the process is restored the usual way. The copies are only the pages changed since the
 * first round: a few MiB, where copying the image in would be all of it. Pure.
 */
final class FlatImage {
    private FlatImage() {}

    /** Bytes to copy from one round's pages file into the first round's. */
    record Copy(int image, long from, long to, long length) {}

    /**
     * @param chain pagemap entries of one process, the last round first and the first round
     *              last (at least two)
     * @return the copies that bring the first round's pages file up to date, in order, or
     *         null if the process's pages are not the ones it had at the first round
     */
    static List<Copy> plan(List<List<Entry>> chain) {
        int base = chain.size() - 1;
        if (base < 1) throw new IllegalArgumentException("nothing to flatten: one image");
        for (Entry e : chain.get(base)) if (!e.has(Pagemap.PE_PRESENT) || e.has(Pagemap.PE_PARENT)) return null;
        if (!ranges(chain.get(0)).equals(ranges(chain.get(base)))) return null;
        List<TreeMap<Long, long[]>> present = new ArrayList<>(); // per image: vaddr -> {end, offset in its pages file}
        List<TreeMap<Long, Entry>> all = new ArrayList<>();
        for (List<Entry> image : chain) {
            TreeMap<Long, long[]> p = new TreeMap<>();
            TreeMap<Long, Entry> a = new TreeMap<>();
            long offset = 0;
            for (Entry e : image) {
                a.put(e.vaddr(), e);
                if (e.has(Pagemap.PE_PRESENT)) {
                    p.put(e.vaddr(), new long[] {e.end(), offset});
                    offset += e.pages() * Pagemap.PAGE;
                }
            }
            present.add(p);
            all.add(a);
        }
        List<Copy> copies = new ArrayList<>();
        for (Entry e : chain.get(0)) {
            if (!resolve(0, e.vaddr(), e.end(), all, present, base, copies)) return null;
        }
        return copies;
    }

    /** Finds who holds [from, to) starting at image {@code k}, adding the copies for what is newer than the base. */
    private static boolean resolve(int k, long from, long to, List<TreeMap<Long, Entry>> all, List<TreeMap<Long, long[]>> present, int base,
                                   List<Copy> copies) {
        if (k == base) return true; // the base holds it already
        long at = from;
        while (at < to) {
            Map.Entry<Long, Entry> hit = all.get(k).floorEntry(at);
            if (hit == null || hit.getValue().end() <= at) return false; // a page no image holds: CRIU's images are inconsistent
            Entry e = hit.getValue();
            long end = Math.min(to, e.end());
            if (e.has(Pagemap.PE_PRESENT)) {
                long[] mine = present.get(k).get(e.vaddr());
                if (!copyInto(k, mine[1] + (at - e.vaddr()), at, end, present.get(base), copies)) return false;
            } else if (e.has(Pagemap.PE_PARENT)) {
                if (!resolve(k + 1, at, end, all, present, base, copies)) return false;
            } else {
                return false;
            }
            at = end;
        }
        return true;
    }

    /** The copy of [from, to), at {@code offset} in image k's pages file, to where the base keeps those pages. */
    private static boolean copyInto(int k, long offset, long from, long to, TreeMap<Long, long[]> base, List<Copy> copies) {
        long at = from;
        while (at < to) {
            Map.Entry<Long, long[]> hit = base.floorEntry(at);
            if (hit == null || hit.getValue()[0] <= at) return false;
            long end = Math.min(to, hit.getValue()[0]);
            long dest = hit.getValue()[1] + (at - hit.getKey());
            long src = offset + (at - from);
            Copy last = copies.isEmpty() ? null : copies.get(copies.size() - 1);
            if (last != null && last.image() == k && last.from() + last.length() == src && last.to() + last.length() == dest) {
                copies.set(copies.size() - 1, new Copy(k, last.from(), last.to(), last.length() + (end - at)));
            } else {
                copies.add(new Copy(k, src, dest, end - at));
            }
            at = end;
        }
        return true;
    }

    private record Range(long from, long to) {}

    /** The page ranges an image covers (held or in a parent), adjacent ones joined. */
    private static List<Range> ranges(List<Entry> image) {
        List<Range> out = new ArrayList<>();
        for (Entry e : image) {
            Range last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.to() == e.vaddr()) out.set(out.size() - 1, new Range(last.from(), e.end()));
            else out.add(new Range(e.vaddr(), e.end()));
        }
        return out;
    }
}

package dev.mosvm.agent.checkpoint;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which of a job's checkpoint directories to delete, and what the next checkpoint builds on:
 * decisions on numbers only, without files, so they can be tested on any history.
 */
public final class Retention {
    private Retention() {}


    /** A sealed checkpoint as retention sees it: its number and its parent's (0: a full one). */
    public record Sealed(int number, int parent) {
        public static Sealed of(CheckpointManifest m) {
            return new Sealed(m.number(), m.parent());
        }
    }

    /**
     * The numbers to delete: every directory but the last {@code keep} sealed checkpoints and
     * the ancestors they need. A directory that is not sealed goes too when a newer checkpoint is
     * sealed (its taker stopped part-way); one newer than every sealed checkpoint may still be
     * being taken, and stays.
     *
     * @param sealed  the sealed checkpoints
     * @param present every checkpoint directory, sealed or not
     * @param keep    how many to keep, at least 1 (a smaller number counts as 1: forgetting all is another decision)
     */
    public static SortedSet<Integer> toDelete(Collection<Sealed> sealed, Collection<Integer> present, int keep) {
        Map<Integer, Sealed> byNumber = byNumber(sealed);
        Set<Integer> kept = new HashSet<>();
        for (int n : lastOf(byNumber, keep)) {
            for (Sealed s = byNumber.get(n); s != null && kept.add(s.number); s = byNumber.get(s.parent)) {
                // a kept checkpoint's chain, down to its full ancestor or to where the chain is broken
            }
        }
        int newest = byNumber.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        TreeSet<Integer> delete = new TreeSet<>(present);
        delete.addAll(byNumber.keySet());
        delete.removeIf(n -> kept.contains(n) || (!byNumber.containsKey(n) && n > newest));
        return delete;
    }

    /**
     * The parent of the next checkpoint this node takes, 0 for a full one. It builds on the
     * latest sealed checkpoint only if this node took that one in this agent's life: CRIU's
     * memory tracking (--track-mem) resets the kernel's dirty bits at each dump, so the pages
     * dirtied since are known only to the node that dumped, and only until the job moves or the
     * agent restarts. And only while that checkpoint's chain is shorter than {@code maxChain},
     * so the new one's chain holds at most {@code maxChain} checkpoints: the agent passes one
     * more than it keeps, and {@link #toFold folds} the chain back to {@code keep} once the new
     * one is sealed; where a fold is refused, the chain stays at that bound and the next
     * checkpoint is full.
     *
     * @param lastTakenHere the number of the last checkpoint of this job this node took in this agent's life, or null
     */
    public static int parentFor(Collection<Sealed> sealed, Integer lastTakenHere, int maxChain) {
        Map<Integer, Sealed> byNumber = byNumber(sealed);
        if (byNumber.isEmpty() || lastTakenHere == null) return 0;
        int latest = new TreeSet<>(byNumber.keySet()).last();
        if (lastTakenHere != latest) return 0;
        int length = chainLength(byNumber, latest);
        return length > 0 && length < maxChain ? latest : 0;
    }

    /** Fold checkpoint {@code base} (a full one) into {@code child} (the one incremental on it): the child becomes full, the base goes. */
    public record Fold(int base, int child) {}

    /**
     * The fold that brings the last {@code keep} checkpoints closer to needing no others, or
     * null when none needs one. The newest of them whose chain reaches below the last
     * {@code keep} has its chain's full base folded into the next one up: no checkpoint is
     * dumped again, and the base is not one of the last {@code keep}. That is the newest
     * checkpoint's chain once it holds more than {@code keep}; and an older kept one's when a
     * full checkpoint came after it (taken after a move, or while a fold of its chain was
     * pending, which {@link #parentFor} counts as one checkpoint too many): pruning cannot
     * delete what a kept checkpoint needs, so only a fold gets them down to {@code keep}. A
     * broken chain stays as it is, and so does a base that another sealed checkpoint also adds
     * to (folding rewrites it); retention then keeps both as before.
     */
    public static Fold toFold(Collection<Sealed> sealed, int keep) {
        Map<Integer, Sealed> byNumber = byNumber(sealed);
        NavigableSet<Integer> last = lastOf(byNumber, keep);
        for (int top : last) {
            if (chainLength(byNumber, top) < 2) continue; // full, or broken
            Sealed child = null;
            Sealed s = byNumber.get(top);
            while (s.parent != 0) {
                child = s;
                s = byNumber.get(s.parent);
            }
            if (!last.contains(s.number) && !addedToByAnother(byNumber.values(), s.number, child.number)) return new Fold(s.number, child.number);
        }
        return null;
    }

    /** The numbers of the last {@code keep} sealed checkpoints (at least one), newest first. */
    private static NavigableSet<Integer> lastOf(Map<Integer, Sealed> byNumber, int keep) {
        NavigableSet<Integer> last = new TreeSet<>(byNumber.keySet()).descendingSet();
        while (last.size() > Math.max(1, keep)) last.pollLast();
        return last;
    }

    private static boolean addedToByAnother(Collection<Sealed> sealed, int base, int child) {
        for (Sealed other : sealed) if (other.parent == base && other.number != child) return true;
        return false;
    }

    /** How many checkpoints the chain of {@code number} holds (itself to its full ancestor), or 0 if an ancestor is missing. */
    static int chainLength(Map<Integer, Sealed> byNumber, int number) {
        int length = 0;
        for (Sealed s = byNumber.get(number); s != null; s = byNumber.get(s.parent)) {
            length++;
            if (s.parent == 0) return length;
            if (s.parent >= s.number) return 0;
        }
        return 0; // an ancestor is missing
    }

    private static Map<Integer, Sealed> byNumber(Collection<Sealed> sealed) {
        Map<Integer, Sealed> byNumber = new HashMap<>();
        for (Sealed s : sealed) byNumber.put(s.number, s);
        return byNumber;
    }
}

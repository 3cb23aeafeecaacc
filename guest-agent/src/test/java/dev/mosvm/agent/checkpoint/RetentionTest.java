package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.checkpoint.Retention.Sealed;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RetentionTest {
    /** A job's checkpoint directories: the sealed ones, and every one (sealed or not). */
    record History(List<Sealed> sealed, Set<Integer> present) {
        Map<Integer, Sealed> byNumber() {
            Map<Integer, Sealed> m = new HashMap<>();
            for (Sealed s : sealed) m.put(s.number(), s);
            return m;
        }

        /** The last {@code keep} sealed checkpoints and every ancestor of theirs that is sealed. */
        Set<Integer> needed(int keep) {
            Map<Integer, Sealed> byNumber = byNumber();
            List<Integer> newestFirst = new ArrayList<>(new TreeSet<>(byNumber.keySet()).descendingSet());
            Set<Integer> needed = new HashSet<>();
            for (int n : newestFirst.subList(0, Math.min(keep, newestFirst.size()))) {
                for (Sealed s = byNumber.get(n); s != null && needed.add(s.number()); s = byNumber.get(s.parent())) {
                    // up the chain
                }
            }
            return needed;
        }

        /** How many checkpoints a restart from {@code n} reads: it and its ancestors. */
        int chain(int n) {
            Map<Integer, Sealed> byNumber = byNumber();
            int length = 0;
            for (Sealed s = byNumber.get(n); s != null; s = byNumber.get(s.parent())) length++;
            return length;
        }

        int newestSealed() {
            return sealed.stream().mapToInt(Sealed::number).max().orElse(0);
        }
    }

    @Property
    void neverDeletesWhatTheLastCheckpointsNeed(@ForAll("anyHistory") History h, @ForAll @IntRange(min = 1, max = 6) int keep) {
        SortedSet<Integer> delete = Retention.toDelete(h.sealed(), h.present(), keep);
        for (int n : h.needed(keep)) assertFalse(delete.contains(n), n + " is needed, and deleted: " + h + " " + delete);
    }

    @Property
    void keepsOnlyTheLastCheckpointsAndWhatTheyNeed(@ForAll("anyHistory") History h, @ForAll @IntRange(min = 1, max = 6) int keep) {
        SortedSet<Integer> delete = Retention.toDelete(h.sealed(), h.present(), keep);
        Set<Integer> needed = h.needed(keep);
        for (Sealed s : h.sealed()) assertEquals(!needed.contains(s.number()), delete.contains(s.number()), s + " of " + h);
    }

    @Property
    void aTakerThatStoppedIsClearedAndOneAtWorkIsNot(@ForAll("anyHistory") History h, @ForAll @IntRange(min = 1, max = 6) int keep) {
        SortedSet<Integer> delete = Retention.toDelete(h.sealed(), h.present(), keep);
        Set<Integer> sealed = h.byNumber().keySet();
        for (int n : h.present()) {
            if (!sealed.contains(n)) assertEquals(n < h.newestSealed(), delete.contains(n), "unsealed " + n + " of " + h);
        }
        assertTrue(h.present().containsAll(delete), "deletes only what is there");
    }

    @Property
    void everyKeptCheckpointRestoresFromKeptDirectories(@ForAll("takenHistory") Taken t) {
        Map<Integer, Sealed> byNumber = t.history().byNumber();
        for (Sealed s : t.history().sealed()) {
            Sealed c = s;
            while (c.parent() != 0) {
                assertTrue(byNumber.containsKey(c.parent()), s + " needs " + c.parent() + ", which is gone: " + t);
                assertTrue(t.history().present().contains(c.parent()), s + " needs " + c.parent() + ", deleted: " + t);
                c = byNumber.get(c.parent());
            }
        }
        long kept = t.history().sealed().size();
        assertTrue(kept <= 2L * t.keep(), kept + " kept: " + t);
    }

    @Property
    void whileFoldsSucceedAChainIsNoLongerThanWhatIsKept(@ForAll("takenHistory") Taken t) {
        for (Sealed s : t.history().sealed()) {
            int chain = t.history().chain(s.number());
            assertTrue(chain <= t.keep() + 1, s + " has a chain of " + chain + ": " + t);
            if (!t.refused()) assertTrue(chain <= t.keep(), s + " has a chain of " + chain + " though every fold succeeded: " + t);
        }
    }

    @Property
    void whileFoldsSucceedOnlyTheFirstCheckpointIsFull(@ForAll("takenHistory") Taken t) {
        if (t.refused() || t.moved() || t.deferred()) return;
        assertTrue(t.fulls() <= 1, t.fulls() + " full checkpoints taken: " + t);
    }

    @Property
    void whileFoldsSucceedNoMoreThanWhatIsKeptIsKept(@ForAll("takenHistory") Taken t) {
        if (t.refused()) return;
        assertTrue(t.history().sealed().size() <= t.keep(), t.history().sealed().size() + " kept: " + t);
    }

    @Test
    void theOldestOfAChainLongerThanWhatIsKeptFoldsIntoTheNext() {
        List<Sealed> chain = List.of(new Sealed(1, 0), new Sealed(2, 1), new Sealed(3, 2), new Sealed(4, 3));
        assertEquals(new Retention.Fold(1, 2), Retention.toFold(chain, 3));
        assertEquals(null, Retention.toFold(chain, 4), "no longer than what is kept");
        assertEquals(null, Retention.toFold(List.of(new Sealed(2, 1), new Sealed(3, 2)), 1), "a broken chain");
        List<Sealed> moved = List.of(new Sealed(1, 0), new Sealed(2, 1), new Sealed(3, 2), new Sealed(4, 0));
        assertEquals(new Retention.Fold(1, 2), Retention.toFold(moved, 2), "the newest is full, and 3 is kept: its chain is folded");
        assertEquals(null, Retention.toFold(moved, 1), "the newest is full, and alone kept: the old chain is pruned, not folded");
        List<Sealed> twoOnOne = List.of(new Sealed(1, 0), new Sealed(2, 1), new Sealed(3, 1), new Sealed(4, 3));
        assertEquals(null, Retention.toFold(twoOnOne, 2), "another checkpoint adds to the base as it is");
        assertEquals(new Retention.Fold(1, 2), Retention.toFold(List.of(new Sealed(1, 0), new Sealed(2, 1)), 1), "keeping one");
    }

    @Test
    void aFullCheckpointTakenWhileAFoldWasPendingLeavesNoMoreThanWhatIsKept() {
        int keep = 2;
        List<Sealed> sealed = new ArrayList<>(List.of(new Sealed(297, 0), new Sealed(298, 297), new Sealed(299, 298)));
        assertEquals(new Retention.Fold(297, 298), Retention.toFold(sealed, keep));
        assertEquals(0, Retention.parentFor(sealed, 299, keep + 1), "home folds 297 into 298 meanwhile: 299's chain is at its bound");
        sealed.add(new Sealed(300, 0));
        sealed.removeIf(s -> s.number() <= 298);
        sealed.add(new Sealed(298, 0)); // the fold commits

        assertEquals(new Retention.Fold(298, 299), Retention.toFold(sealed, keep), "299 is kept and needs 298, which is not");
        sealed.removeIf(s -> s.number() <= 299);
        sealed.add(new Sealed(299, 0));
        assertEquals(null, Retention.toFold(sealed, keep));
        assertEquals(new TreeSet<>(), Retention.toDelete(sealed, Set.of(299, 300), keep), "299 and 300, and no other");
    }

    @Test
    void aCheckpointBuildsOnTheLatestOnlyIfThisNodeTookItAndItsChainHasRoom() {
        int maxChain = 8;
        List<Sealed> chainOfSeven = new ArrayList<>(List.of(new Sealed(1, 0)));
        for (int n = 2; n <= 7; n++) chainOfSeven.add(new Sealed(n, n - 1));
        assertEquals(7, Retention.parentFor(chainOfSeven, 7, maxChain));
        assertEquals(0, Retention.parentFor(chainOfSeven, null, maxChain), "the job moved here, or the agent restarted");
        assertEquals(0, Retention.parentFor(chainOfSeven, 6, maxChain), "another node took the latest");
        assertEquals(0, Retention.parentFor(List.of(), null, maxChain), "the job's first");
        List<Sealed> chainOfEight = new ArrayList<>(chainOfSeven);
        chainOfEight.add(new Sealed(8, 7));
        assertEquals(0, Retention.parentFor(chainOfEight, 8, maxChain), "a full one when the chain is at its bound (a fold was refused)");
        List<Sealed> broken = List.of(new Sealed(1, 0), new Sealed(3, 2));
        assertEquals(0, Retention.parentFor(broken, 3, maxChain), "the chain below the latest is broken");
    }

    @Test
    void keepingNoneStillKeepsTheLatest() {
        List<Sealed> sealed = List.of(new Sealed(1, 0), new Sealed(2, 1), new Sealed(3, 0));
        assertEquals(new TreeSet<>(List.of(1, 2)), Retention.toDelete(sealed, Set.of(1, 2, 3), 0));
    }

    /** Any numbers sealed or not, each sealed one with any parent below it, there or not. */
    @Provide
    Arbitrary<History> anyHistory() {
        return Arbitraries.integers().between(0, 1 << 20).list().ofMaxSize(30).map(draws -> {
            List<Sealed> sealed = new ArrayList<>();
            Set<Integer> present = new HashSet<>();
            int n = 0;
            for (int d : draws) {
                n += 1 + (d & 1); // numbers are not always dense: a directory may be gone
                if ((d & 6) != 0) present.add(n);
                if ((d & 6) == 6 || (d & 6) == 4) sealed.add(new Sealed(n, (d >> 3) % 3 == 0 ? 0 : (d >> 5) % n));
            }
            return new History(sealed, present);
        });
    }

    /** A history as the agent makes it, with what happened on the way. */
    record Taken(History history, int keep, boolean refused, boolean moved, boolean deferred, int fulls) {}

    /**
     * Histories as the agent makes them: each checkpoint from parentFor with one more than is
     * kept, then folded back (some folds refused: a process mapped memory) and pruned, the job
     * moving now and then (no checkpoint taken here yet), takers stopping part-way, and home
     * compacting now and then only after the next checkpoint is taken (it was busy, or its fold
     * was still pending when the runner chose that one's parent).
     */
    @Provide
    Arbitrary<Taken> takenHistory() {
        Arbitrary<List<Integer>> steps = Arbitraries.integers().between(0, 29).list().ofMaxSize(60);
        return Combinators.combine(steps, Arbitraries.integers().between(1, 5)).as((actions, keep) -> {
            List<Sealed> sealed = new ArrayList<>();
            Set<Integer> present = new HashSet<>();
            Integer lastHere = null;
            boolean refused = false;
            boolean moved = false;
            boolean deferred = false;
            boolean pending = false;
            int fulls = 0;
            int n = 0;
            for (int a : actions) {
                n++;
                present.add(n);
                if (a == 28) continue; // its taker stopped
                if (a == 29) {
                    lastHere = null; // the job moved, or the agent restarted
                    moved = true;
                }
                int parent = Retention.parentFor(sealed, lastHere, keep + 1);
                if (parent == 0) fulls++;
                sealed.add(new Sealed(n, parent));
                lastHere = n;
                pending = a == 26; // home compacts after the next one
                deferred |= pending;
                if (!pending) refused |= compact(sealed, present, keep, a == 27);
            }
            if (pending) compact(sealed, present, keep, false);
            return new Taken(new History(sealed, present), keep, refused, moved, deferred, fulls);
        });
    }

    /** Folds (or, with {@code refuse}, tries to: a process mapped memory) and prunes as home does; whether a fold was refused. */
    private static boolean compact(List<Sealed> sealed, Set<Integer> present, int keep, boolean refuse) {
        boolean refused = false;
        for (Retention.Fold f; (f = Retention.toFold(sealed, keep)) != null; ) {
            if (refuse) {
                refused = true;
                break;
            }
            Retention.Fold fold = f;
            sealed.removeIf(s -> s.number() == fold.base() || s.number() == fold.child());
            sealed.add(new Sealed(fold.child(), 0));
            present.remove(fold.base());
        }
        SortedSet<Integer> delete = Retention.toDelete(sealed, present, keep);
        sealed.removeIf(s -> delete.contains(s.number()));
        present.removeAll(delete);
        return refused;
    }
}

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
    void checkpointsTakenAsTheAgentTakesThemNeedAtMostAChainMore(@ForAll("takenHistory") History h, @ForAll @IntRange(min = 1, max = 6) int keep) {
        SortedSet<Integer> delete = Retention.toDelete(h.sealed(), h.present(), keep);
        long keptSealed = h.sealed().stream().filter(s -> !delete.contains(s.number())).count();
        assertTrue(keptSealed <= keep + Retention.CHAIN_MAX - 1, keptSealed + " kept of " + h);
        for (Sealed s : h.sealed()) assertTrue(h.chain(s.number()) <= Retention.CHAIN_MAX, s + " has a chain of " + h.chain(s.number()));
    }

    @Test
    void aCheckpointBuildsOnTheLatestOnlyIfThisNodeTookItAndItsChainHasRoom() {
        List<Sealed> chainOfSeven = new ArrayList<>(List.of(new Sealed(1, 0)));
        for (int n = 2; n <= 7; n++) chainOfSeven.add(new Sealed(n, n - 1));
        assertEquals(7, Retention.parentFor(chainOfSeven, 7, Retention.CHAIN_MAX));
        assertEquals(0, Retention.parentFor(chainOfSeven, null, Retention.CHAIN_MAX), "the job moved here, or the agent restarted");
        assertEquals(0, Retention.parentFor(chainOfSeven, 6, Retention.CHAIN_MAX), "another node took the latest");
        assertEquals(0, Retention.parentFor(List.of(), null, Retention.CHAIN_MAX), "the job's first");
        List<Sealed> chainOfEight = new ArrayList<>(chainOfSeven);
        chainOfEight.add(new Sealed(8, 7));
        assertEquals(0, Retention.parentFor(chainOfEight, 8, Retention.CHAIN_MAX), "a full one after seven increments");
        List<Sealed> broken = List.of(new Sealed(1, 0), new Sealed(3, 2));
        assertEquals(0, Retention.parentFor(broken, 3, Retention.CHAIN_MAX), "the chain below the latest is broken");
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

    /**
     * Histories as the agent makes them: each checkpoint from parentFor with CHAIN_MAX, the job
     * moving (no checkpoint taken here yet), takers stopping part-way, and prunes between.
     */
    @Provide
    Arbitrary<History> takenHistory() {
        Arbitrary<List<Integer>> steps = Arbitraries.integers().between(0, 9).list().ofMaxSize(60);
        return Combinators.combine(steps, Arbitraries.integers().between(1, 5)).as((actions, keep) -> {
            List<Sealed> sealed = new ArrayList<>();
            Set<Integer> present = new HashSet<>();
            Integer lastHere = null;
            int n = 0;
            for (int a : actions) {
                if (a == 9) {
                    SortedSet<Integer> delete = Retention.toDelete(sealed, present, keep);
                    sealed.removeIf(s -> delete.contains(s.number()));
                    present.removeAll(delete);
                    continue;
                }
                n++;
                present.add(n);
                if (a == 8) continue; // its taker stopped
                if (a >= 6) lastHere = null; // the job moved, or the agent restarted
                sealed.add(new Sealed(n, Retention.parentFor(sealed, lastHere, Retention.CHAIN_MAX)));
                lastHere = n;
            }
            return new History(sealed, present);
        });
    }
}

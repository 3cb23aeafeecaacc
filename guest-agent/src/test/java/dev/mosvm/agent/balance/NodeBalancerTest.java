package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** One node's balancing over time: the clock is a number the tests move. */
class NodeBalancerTest {
    static final long GB = 1024 * 1024;
    final Set<String> table = new HashSet<>();
    final NodeBalancer a = new NodeBalancer("a", BalancerConfig.DEFAULT, table::contains);
    final SplittableRandom rnd = new SplittableRandom(1);

    static NodeLoad node(String id, int cpus, double speed, int jobs) {
        return new NodeLoad(id, cpus, speed, jobs, 4 * GB, 0);
    }

    static JobLoad job(String id, double work) {
        return new JobLoad(id, 10 * 1024, work, false, false, 600);
    }

    @Test
    void aJobPlacedHereCountsUntilItIsInTheTable() {
        NodeLoad empty = node("a", 1, 1.0, 0);
        List<NodeLoad> view = List.of(node("b", 1, 1.0, 0));
        assertEquals("a", a.place(empty, view, "j1", rnd, 0).target());
        assertEquals("b", a.place(empty, view, "j2", rnd, 100).target(), "j1 counts here before the table has it");
        table.add("j1");
        NodeLoad withJ1 = node("a", 1, 1.0, 1);
        assertEquals("a", a.place(withJ1, view, "j3", rnd, 200).target(), "j1 counts once, in the table (twice, a would look busier than b)");
    }

    @Test
    void aPlacementNeverShownIsForgottenAfterFifteenSeconds() {
        NodeLoad slow = node("a", 1, 0.01, 0);
        List<NodeLoad> view = List.of(node("b", 1, 1.0, 0), node("c", 1, 0.9, 0));
        assertEquals("b", a.place(slow, view, "j1", rnd, 0).target());
        assertEquals("c", a.place(slow, view, "j2", rnd, 1_000).target(), "b counts j1");
        assertEquals("b", a.place(slow, view, "j3", rnd, 16_000).target(), "15 s on, b's gossip alone is trusted");
    }

    @Test
    void aRefuserIsLeftOutForThirtySeconds() {
        NodeLoad slow = node("a", 1, 0.01, 0);
        List<NodeLoad> view = List.of(node("b", 1, 1.0, 0), node("c", 1, 0.9, 0));
        a.failed("b", 0);
        assertEquals("c", a.place(slow, view, "j1", rnd, 29_999).target());
        assertEquals("b", a.place(slow, view, "j2", rnd, 30_000).target());
    }

    @Test
    void aMoveCountsAtItsTargetInTheNextRound() {
        // a: three old jobs on one CPU; b and c: idle, as fast; the stale view shows them idle throughout
        NodeBalancer busy = new NodeBalancer("a", BalancerConfig.DEFAULT, table::contains);
        List<NodeLoad> view = List.of(node("b", 1, 1.0, 0), node("c", 1, 1.0, 0));
        table.addAll(List.of("j1", "j2", "j3"));
        List<JobLoad> jobs = List.of(job("j1", 1000), job("j2", 1000), job("j3", 1000));
        NodeBalancer.Round first = busy.decide(new NodeLoad("a", 1, 1.0, 3, 4 * GB, 3000), view, jobs, 0, rnd, 0);
        assertEquals(1, first.moves().size());
        String went = first.moves().get(0).target();
        table.remove(first.moves().get(0).job()); // it has left: the gossip does not show it at its target yet
        List<JobLoad> left = jobs.stream().filter(j -> !j.id().equals(first.moves().get(0).job())).toList();
        NodeBalancer.Round second = busy.decide(new NodeLoad("a", 1, 1.0, 2, 4 * GB, 2000), view, left, 0, rnd, 5_000);
        assertEquals(1, second.moves().size());
        assertNotEquals(went, second.moves().get(0).target(), "the first target counts its job: the second goes to the other");
    }

    @Test
    void usheringLooksAheadAlongFallingFreeMemory() {
        NodeBalancer n = new NodeBalancer("a", BalancerConfig.DEFAULT, table::contains);
        List<NodeLoad> view = List.of(new NodeLoad("b", 4, 1.0, 0, 8 * GB, 0));
        List<JobLoad> jobs = List.of(new JobLoad("j1", 100 * 1024, 1, false, true, 0));
        // 400 MiB free, falling 10 MiB/s: under the 128 MiB reserve within the 30 s horizon
        assertTrue(n.decide(new NodeLoad("a", 4, 1.0, 1, 600 * 1024, 1), view, jobs, 0, rnd, 0).moves().isEmpty(), "one sample: no trend");
        NodeBalancer.Round r = n.decide(new NodeLoad("a", 4, 1.0, 1, 400 * 1024, 1), view, jobs, 0, rnd, 20_000);
        assertEquals(List.of(Move.Reason.USHERED), r.moves().stream().map(Move::reason).toList());
        assertEquals(100 * 1024, r.here().freeMemKb(), "the round decided on the free memory expected 30 s ahead");
    }

    @Test
    void anAdmittedJobCountsHereForTheNextOffer() {
        NodeLoad b = node("a", 1, 1.0, 0);
        GuestAdmission.Offer first = new GuestAdmission.Offer("j1", "x", Move.Reason.BALANCED, true, 0.3, 10 * 1024, 100);
        GuestAdmission.Offer second = new GuestAdmission.Offer("j2", "y", Move.Reason.BALANCED, true, 0.6, 10 * 1024, 100);
        assertNull(a.admit(b, 0, first, 0));
        assertEquals("a declines: 4086 MiB free, 1 job(s); it would give the job 0.50 reference cores against 0.60 on y",
                a.admit(b, 0, second, 1_000), "j1 is on its way: one more would get half the CPU");
    }

    @Test
    void theTransferRateIsLearntFromMoves() {
        NodeBalancer n = new NodeBalancer("a", BalancerConfig.DEFAULT, table::contains);
        n.moved(0, 1_000);
        assertEquals(20e6, n.config().transferBytesPerSecond(), "nothing sent: nothing learnt");
        n.moved(50_000_000, 10_000); // 5 s beyond the fixed 5 s
        assertEquals(10e6, n.config().transferBytesPerSecond(), 1);
        n.moved(100_000_000, 10_000);
        assertEquals(0.7 * 10e6 + 0.3 * 20e6, n.config().transferBytesPerSecond(), 1);
        assertEquals(BalancerConfig.DEFAULT.usherBelowKb(), n.config().usherBelowKb(), "the rest of the configuration stays");
    }
}

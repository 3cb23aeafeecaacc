package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The balancer's decisions on small views, as the issue lists them. */
class BalancerTest {
    static final long GB = 1024 * 1024;
    final Balancer balancer = new Balancer(new BalancerConfig(5, 10, 2.0, 20e6, 5, 128 * 1024, 1, 30, 32, 0.1));
    final SplittableRandom rnd = new SplittableRandom(1);

    static JobLoad job(String id, long rssMb, double work) {
        return new JobLoad(id, rssMb * 1024, work, false, true, 600);
    }

    static List<JobLoad> jobs(int n, double work) {
        List<JobLoad> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(job("j" + i, 10, work));
        return out;
    }

    @Test
    void aLoadedNodeShedsToAnIdleFasterOne() {
        NodeLoad self = new NodeLoad("a", 1, 1.0, 4, 4 * GB);
        List<NodeLoad> peers = List.of(new NodeLoad("slow", 1, 0.5, 0, 4 * GB), new NodeLoad("fast", 2, 2.0, 0, 4 * GB));
        List<Move> moves = balancer.decide(self, peers, jobs(4, 120), 0, rnd);
        assertEquals(1, moves.size(), "one move at a time (maxConcurrent 1)");
        assertEquals("fast", moves.get(0).target());
        assertEquals(Move.Reason.BALANCED, moves.get(0).reason());
    }

    @Test
    void aLoneJobGoesFromASlowNodeToAFasterIdleOne() {
        NodeLoad self = new NodeLoad("slow", 1, 0.5, 1, 4 * GB);
        List<Move> moves = balancer.decide(self, List.of(new NodeLoad("fast", 1, 2.0, 0, 4 * GB)), jobs(1, 300), 0, rnd);
        assertEquals(List.of("fast"), moves.stream().map(Move::target).toList());
    }

    @Test
    void anIdlePoolMovesNothing() {
        NodeLoad self = new NodeLoad("a", 2, 1.0, 0, 4 * GB);
        assertTrue(balancer.decide(self, List.of(new NodeLoad("b", 2, 1.0, 0, 4 * GB)), List.of(), 0, rnd).isEmpty());
    }

    @Test
    void twoEqualNodesNeverTradeJobs() {
        // a has one job more than b, all as old: moving one would only swap the imbalance, so nothing moves, either way
        NodeLoad a = new NodeLoad("a", 1, 1.0, 2, 4 * GB, 2000);
        NodeLoad b = new NodeLoad("b", 1, 1.0, 1, 4 * GB, 1000);
        assertTrue(balancer.decide(a, List.of(b), jobs(2, 1000), 0, rnd).isEmpty());
        assertTrue(balancer.decide(b, List.of(a), jobs(1, 1000), 0, rnd).isEmpty());
        NodeLoad even = new NodeLoad("c", 1, 1.0, 1, 4 * GB, 1000);
        assertTrue(balancer.decide(even, List.of(b), jobs(1, 1000), 0, rnd).isEmpty());
    }

    @Test
    void aYoungJobLeavesANodeWhereItSlowsAnOldOne() {
        // equal nodes, but a's second job is young and b's job is young too: the old job on a gains more than b's loses
        NodeLoad a = new NodeLoad("a", 1, 1.0, 2, 4 * GB, 1020);
        NodeLoad b = new NodeLoad("b", 1, 1.0, 1, 4 * GB, 20);
        List<Move> moves = balancer.decide(a, List.of(b), List.of(job("old", 10, 1000), job("young", 10, 20)), 0, rnd);
        assertEquals(List.of("young"), moves.stream().map(Move::job).toList());
        // and on b it stays: going back would slow the old job again
        NodeLoad a2 = new NodeLoad("a", 1, 1.0, 1, 4 * GB, 1000);
        NodeLoad b2 = new NodeLoad("b", 1, 1.0, 2, 4 * GB, 40);
        assertTrue(balancer.decide(b2, List.of(a2), List.of(job("young", 10, 20), job("other", 10, 20)), 0, rnd).isEmpty());
    }

    @Test
    void youngJobsJustMovedJobsAndPinnedJobsStay() {
        NodeLoad self = new NodeLoad("a", 1, 1.0, 3, 4 * GB);
        List<NodeLoad> idle = List.of(new NodeLoad("b", 4, 1.0, 0, 4 * GB));
        List<JobLoad> jobs = List.of(job("young", 10, 1), new JobLoad("settling", 10 * 1024, 500, false, true, 3),
                new JobLoad("pinned", 10 * 1024, 500, true, true, 600));
        assertTrue(balancer.decide(self, idle, jobs, 0, rnd).isEmpty());
    }

    @Test
    void aMoveMustPayForItsMemory() {
        NodeLoad self = new NodeLoad("a", 1, 1.0, 2, 8 * GB);
        List<NodeLoad> idle = List.of(new NodeLoad("b", 1, 1.0, 0, 16 * GB));
        // 4 GiB at 20 MB/s is ~215 s: a job with 60 s of work done is not worth it, one with an hour is
        assertTrue(balancer.decide(self, idle, List.of(job("big", 4096, 60), job("x", 10, 0)), 0, rnd).isEmpty());
        assertEquals("big", balancer.decide(self, idle, List.of(job("big", 4096, 3600), job("x", 10, 0)), 0, rnd).get(0).job());
        // the target holds its images and the restored job at once: 8 GiB free is not room for 4 GiB
        List<NodeLoad> small = List.of(new NodeLoad("b", 1, 1.0, 0, 8 * GB));
        assertTrue(balancer.decide(self, small, List.of(job("big", 4096, 3600), job("x", 10, 0)), 0, rnd).isEmpty());
    }

    @Test
    void memoryPressureEvictsTheLargestMovableGuestFirstNeverAPinnedOne() {
        NodeLoad self = new NodeLoad("a", 4, 1.0, 4, 64 * 1024);
        List<JobLoad> jobs = List.of(
                new JobLoad("pinned-huge", 900 * 1024, 5, true, true, 600),
                new JobLoad("own-big", 800 * 1024, 5, false, false, 600),
                new JobLoad("guest-big", 500 * 1024, 5, false, true, 600),
                new JobLoad("guest-small", 100 * 1024, 5, false, true, 600));
        List<NodeLoad> peers = List.of(new NodeLoad("b", 1, 1.0, 1, 2 * GB), new NodeLoad("c", 1, 1.0, 0, 300 * 1024));
        List<Move> moves = balancer.decide(self, peers, jobs, 0, rnd);
        assertEquals(1, moves.size());
        assertEquals("guest-big", moves.get(0).job(), "guests before the node's own, largest first, young or not");
        assertEquals("b", moves.get(0).target(), "only b can hold it above the threshold");
        assertEquals(Move.Reason.USHERED, moves.get(0).reason());
    }

    @Test
    void placementPicksTheNodeWhereANewJobRunsFastestAndStaysHomeOnATie() {
        NodeLoad self = new NodeLoad("a", 1, 1.0, 1, 4 * GB);
        assertEquals("c", balancer.place(self, List.of(new NodeLoad("b", 1, 1.0, 1, 4 * GB), new NodeLoad("c", 2, 1.5, 1, 4 * GB)), rnd));
        NodeLoad idle = new NodeLoad("a", 1, 1.0, 0, 4 * GB);
        assertEquals("a", balancer.place(idle, List.of(new NodeLoad("b", 1, 1.0, 0, 4 * GB)), rnd));
    }

    @Test
    void aBurstFromTheSlowestNodeSplitsAsTheSpeedsSayWhateverTheRandomDraws() {
        // BalanceIT's pool: 100 / 60 / 40 % nodes, twelve jobs placed from the slowest, one at a time
        for (long seed = 0; seed < 50; seed++) {
            SplittableRandom draws = new SplittableRandom(seed);
            int[] count = new int[3];
            String[] names = {"ba", "bb", "bc"};
            double[] speeds = {0.21, 0.125, 0.08};
            for (int job = 0; job < 12; job++) {
                NodeLoad self = new NodeLoad("bc", 1, speeds[2], count[2], 4 * GB);
                List<NodeLoad> peers = List.of(new NodeLoad("ba", 1, speeds[0], count[0], 4 * GB), new NodeLoad("bb", 1, speeds[1], count[1], 4 * GB));
                count[List.of(names).indexOf(balancer.place(self, peers, draws))]++;
            }
            assertEquals("[6, 4, 2]", java.util.Arrays.toString(count), "seed " + seed);
        }
    }

    @Test
    void theTargetRefusesAMoveItsFresherLoadMakesPointless() {
        NodeLoad target = new NodeLoad("b", 1, 1.0, 1, 4 * GB);
        assertTrue(!balancer.accepts(target, Move.Reason.BALANCED, 0.5, 10 * 1024), "it would get 0.5 here too");
        assertTrue(balancer.accepts(target, Move.Reason.BALANCED, 0.3, 10 * 1024));
        assertTrue(!balancer.accepts(target, Move.Reason.USHERED, 0.3, 4 * GB));
    }
}

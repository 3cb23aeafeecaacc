package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BalanceSimulationTest {
    static BalanceSimulation.Result run(BalanceSimulation.Policy policy, long seed) {
        return new BalanceSimulation(new BalanceSimulation.Params(16, 160, 1.3, 10, policy, BalanceBenchmarkTest.SIM, 2.6, 30, seed)).run();
    }

    @Test
    void aSeedGivesTheSameRun() {
        BalanceSimulation.Result a = run(BalanceSimulation.Policy.PLACE_AND_MIGRATE, 7);
        BalanceSimulation.Result b = run(BalanceSimulation.Policy.PLACE_AND_MIGRATE, 7);
        assertEquals(a.makespan(), b.makespan());
        assertEquals(a.moves(), b.moves());
        assertEquals(a.placedAway(), b.placedAway());
    }

    /** The agent's balancing, run on a batch dropped on random nodes, ends it sooner than leaving the jobs there. */
    @Test
    void placingAndMovingJobsBeatsLeavingThemWhereTheyArrive() {
        for (long seed = 1; seed <= 3; seed++) {
            BalanceSimulation.Result stay = run(BalanceSimulation.Policy.STAY, seed);
            BalanceSimulation.Result balanced = run(BalanceSimulation.Policy.PLACE_AND_MIGRATE, seed);
            assertTrue(balanced.placedAway() > 0 && balanced.moves() > 0, "seed " + seed + ": it placed and moved jobs");
            assertTrue(balanced.meanSlowdown() < stay.meanSlowdown(), "seed " + seed + ": " + balanced.meanSlowdown() + " vs " + stay.meanSlowdown());
        }
    }
}

package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PendingMovesTest {
    static final long GB = 1024 * 1024;
    final PendingMoves pending = new PendingMoves(15_000);

    @Test
    void aJobSentToAPeerCountsThereUntilItExpires() {
        NodeLoad b = new NodeLoad("b", 2, 1.0, 1, 4 * GB, 100);
        pending.toPeer("b", "j1", 512 * 1024, 50, 1, 0);
        assertEquals(new NodeLoad("b", 2, 1.0, 2, 4 * GB - 512 * 1024, 150), pending.atPeer(b, 0));
        assertEquals(2, pending.atPeer(b, 15_000).jobs(), "still on its way at 15 s");
        assertEquals(b, pending.atPeer(b, 15_001), "after 15 s the gossip is trusted alone");
    }

    @Test
    void aPeerWhoseGossipShowsTheJobsIsNotCountedTwice() {
        pending.toPeer("b", null, 0, 0, 0, 0);
        pending.toPeer("b", null, 0, 0, 0, 1_000);
        assertEquals(2, pending.atPeer(new NodeLoad("b", 2, 1.0, 0, 4 * GB), 2_000).jobs(), "the gossip shows neither yet");
        assertEquals(2, pending.atPeer(new NodeLoad("b", 2, 1.0, 2, 4 * GB), 2_000).jobs(), "it shows both: two, not four");
        assertEquals(5, pending.atPeer(new NodeLoad("b", 2, 1.0, 5, 4 * GB), 2_000).jobs(), "never less than the gossip shows");
    }

    @Test
    void aJobComingHereCountsUntilItIsInTheTable() {
        NodeLoad a = new NodeLoad("a", 2, 1.0, 1, 4 * GB);
        pending.toHere("a", "j1", 0, 0, 0);
        assertEquals(2, pending.here(a, Set.of()::contains, 1_000).jobs());
        NodeLoad arrived = new NodeLoad("a", 2, 1.0, 2, 4 * GB);
        assertEquals(arrived, pending.here(arrived, Set.of("j1")::contains, 2_000), "in the table: counted there, once");
        assertEquals(arrived, pending.here(arrived, Set.of()::contains, 3_000), "and forgotten");
    }

    @Test
    void aJobStillInThisNodesTableCountsHereAndNotAtItsTarget() {
        pending.toPeer("b", "j1", 0, 0, 0, 0);
        NodeLoad b = new NodeLoad("b", 2, 1.0, 0, 4 * GB);
        assertEquals(1, pending.atPeer(b, 1_000).jobs());
        pending.here(new NodeLoad("a", 2, 1.0, 1, 4 * GB), Set.of("j1")::contains, 2_000);
        assertEquals(0, pending.atPeer(b, 3_000).jobs());
    }

    @Test
    void eachNodeCountsOnlyItsOwn() {
        pending.toPeer("b", null, 0, 0, 0, 0);
        assertEquals(0, pending.atPeer(new NodeLoad("c", 2, 1.0, 0, 4 * GB), 0).jobs());
        assertEquals(0, pending.here(new NodeLoad("a", 2, 1.0, 0, 4 * GB), Set.of()::contains, 0).jobs());
    }
}

package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.EntryProof;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.api.NodeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The own entry's signature: anew when it changes or every half interval, and a sequence that grows across restarts whatever the clock does. */
class OwnEntrySignerTest {
    final NodeIdentity id = NodeIdentity.ephemeral();
    final AtomicLong wall = new AtomicLong(1_765_000_000_000L);
    final AtomicLong mono = new AtomicLong();
    final NodeInfo info = new NodeInfo("a", "10.0.0.1", 7946, 2, 1, 0, 1000, 0);
    @TempDir Path dir;

    OwnEntrySigner signer(Path reserve) {
        return new OwnEntrySigner(id, 1000, reserve, wall::get, mono::get);
    }

    @Test
    void anUnchangedEntryIsSignedAgainEveryHalfInterval() {
        OwnEntrySigner s = signer(null);
        EntryProof first = s.sign(info, false);
        mono.addAndGet(400_000_000L);
        assertSame(first, s.sign(info, false), "unchanged, within half an interval: the same proof");
        mono.addAndGet(200_000_000L);
        EntryProof again = s.sign(info, false);
        assertTrue(again.seq() > first.seq(), "half an interval on: a new sequence, so receivers see it fresh");
        assertNotEquals(first.seq(), s.sign(info, true).seq(), "leaving changes the entry");
    }

    @Test
    void theSequenceGrowsAcrossARestartWithTheClockSetBack() throws Exception {
        Path reserve = dir.resolve("gossip-sequence");
        long before = signer(reserve).sign(info, false).seq();
        assertTrue(Files.isRegularFile(reserve));
        wall.addAndGet(-3_600_000L); // the host's clock stepped back an hour, then the agent restarted
        long after = signer(reserve).sign(info, false).seq();
        assertTrue(after > before, "after " + after + " > before " + before);
        assertEquals(Long.parseLong(Files.readString(reserve).strip()), after + OwnEntrySigner.RESERVE, "a new reserve a day ahead");
    }
}

package dev.mosvm.agent.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.api.NodeInfo;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BulletinBoardTest {
    static NodeInfo info(String id) {
        return new NodeInfo(id, "10.0.0.1", 7946, 1, 1.0, 0.0, 1000, 0);
    }

    @Test
    void keepsTheFreshestEntryAndAgesGrow() {
        BulletinBoard b = new BulletinBoard(new NodeIds(), 4);
        assertEquals(BulletinBoard.MEMBERSHIP_NEWS, b.merge(1000, new WireEntry(info("a"), 300, false)));
        assertEquals(BulletinBoard.IGNORED, b.merge(1000, new WireEntry(info("a"), 500, false)), "older news is ignored");
        assertEquals(BulletinBoard.UPDATED, b.merge(1100, new WireEntry(info("a"), 100, false)), "younger news replaces");
        int slot = b.slotAt(0);
        assertEquals(100, b.age(slot, 1100));
        assertEquals(1100, b.age(slot, 2100), "ages grow by themselves");
        assertEquals(BulletinBoard.MEMBERSHIP_NEWS, b.merge(2200, new WireEntry(info("a"), 0, true)), "leaving is news");
    }

    /** The incrementally kept window equals a full sort of the board, under random updates. */
    @Test
    void youngestWindowMatchesBruteForce() {
        SplittableRandom r = new SplittableRandom(7);
        BulletinBoard b = new BulletinBoard(new NodeIds(), 8);
        Map<String, Long> stamps = new HashMap<>();
        long now = 0;
        for (int step = 0; step < 20_000; step++) {
            now += r.nextInt(3);
            String id = "n" + r.nextInt(60);
            long age = r.nextInt(500);
            if (b.merge(now, new WireEntry(info(id), age, false)) != BulletinBoard.IGNORED) stamps.put(id, now - age);
            if (r.nextInt(50) == 0 && !stamps.isEmpty()) {
                String gone = stamps.keySet().iterator().next();
                for (int i = 0; i < b.size(); i++) if (b.info(b.slotAt(i)).id().equals(gone)) b.remove(b.slotAt(i));
                stamps.remove(gone);
            }
            if (step % 97 == 0) {
                long t = now;
                List<Long> expected = stamps.values().stream().sorted(Comparator.reverseOrder()).limit(8).map(s -> t - s).toList();
                List<Long> actual = java.util.Arrays.stream(b.youngest(now)).map(WireEntry::ageMillis).toList();
                assertEquals(expected, actual, "step " + step);
            }
        }
    }
}

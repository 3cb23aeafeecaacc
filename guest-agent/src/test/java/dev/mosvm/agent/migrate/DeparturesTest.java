package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.recovery.TestClock;
import dev.mosvm.agent.wire.Whereabouts;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a node answers a job's home asking whether it has the job: runs, moving to, left for, absent. */
class DeparturesTest {
    final TestClock clock = new TestClock();
    final Departures departures = new Departures(clock);

    @Test
    void aJobSaysItMovesWhileItsMoveIsUnderWayAndWhereItLeftForOnceTheTargetHasIt() {
        assertEquals(Whereabouts.runs(), departures.of("a.7", Job.State.RUNNING));
        assertEquals(Whereabouts.runs(), departures.of("a.7", Job.State.MIGRATING), "claimed for a move not yet begun");
        departures.moving("a.7", "c", 2);
        assertEquals(Whereabouts.moving("c", 2), departures.of("a.7", Job.State.MIGRATING));
        assertEquals(Whereabouts.moving("c", 2), departures.of("a.7", Job.State.MOVED), "committed, its outcome not known");
        departures.left("a.7", "c", 2);
        assertEquals(Whereabouts.left("c", 2), departures.of("a.7", Job.State.MOVED), "the copy here is being retired");
        departures.ended("a.7");
        assertEquals(Whereabouts.left("c", 2), departures.of("a.7", null), "gone from the table");
    }

    @Test
    void aMoveThatDidNotLeaveSaysNothingOfTheTarget() {
        departures.moving("a.7", "c", 0);
        departures.ended("a.7"); // it stayed, or ended here
        assertEquals(Whereabouts.runs(), departures.of("a.7", Job.State.RUNNING));
        assertEquals(Whereabouts.absent(), departures.of("a.7", null), "it ended here");
        departures.moving("a.8", "c", 0);
        assertEquals(Whereabouts.absent(), departures.of("a.8", null), "a job that ended during its move is not moving");
    }

    @Test
    void aJobBackHereRunsHereAndItsOfferForgetsWhereItWentBefore() {
        departures.left("a.7", "c", 0);
        assertEquals(Whereabouts.runs(), departures.of("a.7", Job.State.RUNNING));
        departures.arriving("a.7");
        assertEquals(Whereabouts.absent(), departures.of("a.7", null), "it may end here: c is not where it is");
    }

    @Test
    void departuresAreKeptForTenMinutes() {
        departures.left("a.7", "c", 0);
        clock.advance(Departures.KEPT_FOR.minusSeconds(1));
        departures.left("a.8", "d", 0);
        assertEquals(Whereabouts.left("c", 0), departures.of("a.7", null));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Whereabouts.absent(), departures.of("a.7", null));
        assertEquals(Whereabouts.left("d", 0), departures.of("a.8", null));
        clock.advance(Departures.KEPT_FOR);
        assertEquals(Whereabouts.absent(), departures.of("a.8", null));
    }

    @Test
    void theLast1024DeparturesAreKept() {
        for (int i = 1; i <= Departures.KEPT; i++) departures.left("a." + i, "c", 0);
        departures.left("a.1", "d", 0); // a.1 left again: now the latest
        departures.left("a.0", "c", 0); // one more than are kept
        assertEquals(Whereabouts.absent(), departures.of("a.2", null), "the oldest is forgotten");
        assertEquals(Whereabouts.left("d", 0), departures.of("a.1", null));
        assertEquals(Whereabouts.left("c", 0), departures.of("a.3", null));
        assertEquals(Whereabouts.left("c", 0), departures.of("a.0", null));
    }
}

package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.wire.Whereabouts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the jobs that left this node went: the moves under way from here, and the last
 * {@link #KEPT} departures for {@link #KEPT_FOR}. A job's home asks the node its job runs on
 * whether it still has it when that node's link to home is down; a node that only said "no"
 * after sending the job on would have home give it up while it runs on its next node. Pure:
 * the source's migration reports, the clock is injected.
 */
public final class Departures {
    /** Departures remembered at most: far more than a node sends on within {@link #KEPT_FOR}. */
    public static final int KEPT = 1024;
    /**
     * How long a departure is remembered: home asks within seconds of the link dropping, and
     * the next node attaches (or is asked in turn) within seconds after that.
     */
    public static final Duration KEPT_FOR = Duration.ofMinutes(10);

    private record Departure(String target, int epoch, Instant at) {}

    private final Clock clock;
    private final Map<String, Departure> underway = new HashMap<>();
    /** In the order the jobs left, so the oldest goes first. */
    private final LinkedHashMap<String, Departure> left = new LinkedHashMap<>();

    public Departures(Clock clock) {
        this.clock = clock;
    }

    /** A move of {@code job}, the copy of {@code epoch}, to {@code target} begins. */
    public synchronized void moving(String job, String target, int epoch) {
        underway.put(job, new Departure(target, epoch, clock.instant()));
    }

    /** The move's outcome says {@code target} has {@code job}: it left here. */
    public synchronized void left(String job, String target, int epoch) {
        underway.remove(job);
        left.remove(job); // to the end of the order
        left.put(job, new Departure(target, epoch, clock.instant()));
        forget();
    }

    /** The move of {@code job} ended, whatever its outcome: it is no longer under way. */
    public synchronized void ended(String job) {
        underway.remove(job);
    }

    /** {@code job} is offered here: where it went from here before says nothing about it any more. */
    public synchronized void arriving(String job) {
        left.remove(job);
    }

    /**
     * This node's answer to "do you have {@code job}?".
     *
     * @param here the job's state in this node's table; null if it is not there
     */
    public synchronized Whereabouts of(String job, Job.State here) {
        if (here == Job.State.RUNNING) return Whereabouts.runs();
        Departure going = here == null ? null : underway.get(job);
        if (going != null) return Whereabouts.moving(going.target, going.epoch);
        forget();
        Departure gone = left.get(job);
        if (gone != null) return Whereabouts.left(gone.target, gone.epoch);
        return here == Job.State.MIGRATING ? Whereabouts.runs() : Whereabouts.absent();
    }

    /** Drops departures past {@link #KEPT_FOR}, and the oldest beyond {@link #KEPT}. */
    private void forget() {
        Instant before = clock.instant().minus(KEPT_FOR);
        for (Iterator<Departure> it = left.values().iterator(); it.hasNext(); ) {
            Departure d = it.next();
            if (left.size() <= KEPT && d.at.isAfter(before)) break;
            it.remove();
        }
    }
}

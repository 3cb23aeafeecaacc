package dev.mosvm.agent.migrate.steps;

import java.util.function.LongSupplier;

/**
 * The target's side of a move as states and transitions, each with its deadline from
 * {@link StepDeadlines} on an injected clock: the edge waits for the source's next frame, or
 * runs its own step, no longer than {@link #deadline()}. A failure or a passed deadline before
 * {@link TargetState#RUNNING} drops the copy here; after it, the job runs here whatever happens
 * to the channel. The copy is registered in the job table before it is resumed, so a source
 * asking "does it run there?" never hears "no" while it runs.
 */
public final class TargetMachine extends StepMachine<TargetState> {
    /** What the target saw or did. */
    public enum Event {
        /** A PAGES, FILE, LINK or ROUND_END frame, answered. */
        ROUND,
        /** The RESTORE frame: CRIU starts restoring. */
        RESTORE,
        /** The restore ended with the copy stopped here, and RESTORED is sent. */
        RESTORED,
        /** The COMMIT frame: the copy is now in the table. */
        COMMIT,
        /** The copy is resumed and RUNNING is sent. */
        RESUMED,
        /** The source's record of the move. */
        RECORD,
        /** A failure: an error, a frame out of order, the channel closed, the source gone, or the deadline passed. */
        FAILED
    }

    public TargetMachine(StepDeadlines deadlines, LongSupplier clock) {
        super(clock, deadlines::millis, TargetState.ACCEPTED);
    }

    /** The state after {@code e} in {@code s}; an event out of order is a failure. */
    public static TargetState next(TargetState s, Event e) {
        if (s == TargetState.DROPPED) return s;
        if (s == TargetState.RUNNING) return s; // the job is here now: nothing the channel does changes that
        if (e == Event.FAILED) return TargetState.DROPPED;
        return switch (s) {
            case ACCEPTED, RECEIVING -> e == Event.ROUND ? TargetState.RECEIVING
                    : e == Event.RESTORE && s == TargetState.RECEIVING ? TargetState.RESTORING : TargetState.DROPPED;
            case RESTORING -> e == Event.RESTORED ? TargetState.RESTORED : TargetState.DROPPED;
            case RESTORED -> e == Event.COMMIT ? TargetState.REGISTERED : TargetState.DROPPED;
            case REGISTERED -> e == Event.RESUMED ? TargetState.RUNNING : TargetState.DROPPED;
            default -> throw new IllegalStateException(s.toString());
        };
    }

    public TargetState on(Event e) {
        TargetState n = next(state(), e);
        if (n != state() || e == Event.ROUND) enter(n); // every round frame gives the source a fresh wait
        return n;
    }
}

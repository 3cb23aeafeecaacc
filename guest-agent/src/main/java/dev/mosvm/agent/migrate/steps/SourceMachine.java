package dev.mosvm.agent.migrate.steps;

import java.util.function.LongSupplier;

/**
 * The source's side of a move as states and transitions, each state with its deadline from
 * {@link StepDeadlines} on an injected clock. It decides nothing by itself about I/O: the edge
 * that runs a step reads {@link #deadline()} to bound it and reports its {@link Outcome}.
 * Before the commit every failure leads to {@link SourceState#STAYED} (or {@link SourceState#ENDED}
 * when the job ended); after it, every failure leads to {@link SourceState#SETTLING}, which only
 * a {@link Settlement.Decision} leaves.
 */
public final class SourceMachine extends StepMachine<SourceState> {
    /** @param clock milliseconds, any origin */
    public SourceMachine(StepDeadlines deadlines, LongSupplier clock) {
        super(clock, deadlines::millis, SourceState.OFFERED);
    }

    /** The state after {@code s} ended with {@code o}. */
    public static SourceState next(SourceState s, Outcome o) {
        if (s.terminal()) throw new IllegalStateException("the move has ended " + s);
        if (s == SourceState.SETTLING) throw new IllegalStateException("only a settlement leaves SETTLING");
        if (o == Outcome.FREEZE && s != SourceState.PRECOPY) throw new IllegalArgumentException("FREEZE outside pre-copy");
        if (s == SourceState.COMMITTED) return o == Outcome.DONE ? SourceState.MOVED : SourceState.SETTLING;
        if (o == Outcome.JOB_ENDED) return SourceState.ENDED;
        if (o.failure()) return SourceState.STAYED;
        return switch (s) {
            case OFFERED -> SourceState.PRECOPY;
            case PRECOPY -> o == Outcome.FREEZE ? SourceState.DUMPING : SourceState.PRECOPY;
            case DUMPING -> SourceState.RESTORING;
            case RESTORING -> SourceState.COMMITTED;
            default -> throw new IllegalStateException(s.toString());
        };
    }

    /** The state after settling with {@code d}. */
    public static SourceState next(Settlement.Decision d) {
        return switch (d) {
            case RETIRE -> SourceState.MOVED;
            case RESUME -> SourceState.STAYED;
            case ASK_AGAIN -> SourceState.SETTLING;
        };
    }

    /** The current step ended with {@code o}: moves on, with the next step's deadline from now. */
    public SourceState on(Outcome o) {
        return enter(next(state(), o));
    }

    public SourceState settle(Settlement.Decision d) {
        if (state() != SourceState.SETTLING) throw new IllegalStateException("not settling but " + state());
        return enter(next(d));
    }

    /** A resume here found the job's processes gone: it ended, once, here. */
    public SourceState ended() {
        if (state() != SourceState.STAYED) throw new IllegalStateException("not resuming but " + state());
        return enter(SourceState.ENDED);
    }
}

package dev.mosvm.agent.migrate.steps;

import java.util.function.LongSupplier;

/** A side of a move: the state it is in, and that state's deadline on an injected clock (milliseconds, any origin). */
public abstract class StepMachine<S extends Enum<S>> {
    private final LongSupplier clock;
    private S state;
    private long deadline;

    StepMachine(LongSupplier clock) {
        this.clock = clock;
    }

    public final S state() {
        return state;
    }

    /** When the current step must have ended (clock milliseconds). */
    public final long deadline() {
        return deadline;
    }

    /** Milliseconds left in the current step, 0 once its deadline has passed. */
    public final long remaining() {
        return Math.max(0, deadline - clock.getAsLong());
    }

    public final boolean late() {
        return clock.getAsLong() >= deadline;
    }

    /** Step {@code s} begins now and may take {@code millis}. */
    final S enter(S s, long millis) {
        state = s;
        deadline = clock.getAsLong() + millis;
        return s;
    }
}

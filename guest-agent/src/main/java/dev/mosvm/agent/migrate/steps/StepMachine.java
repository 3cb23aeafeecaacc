package dev.mosvm.agent.migrate.steps;

import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/** A side of a move: the state it is in, and that state's deadline on an injected clock (milliseconds, any origin). */
public abstract class StepMachine<S extends Enum<S>> {
    private final LongSupplier clock;
    private final ToLongFunction<S> budget;
    private S state;
    private long deadline;

    /** @param budget how long each state may last ({@link StepDeadlines}); the machine begins in {@code first} */
    StepMachine(LongSupplier clock, ToLongFunction<S> budget, S first) {
        this.clock = clock;
        this.budget = budget;
        enter(first);
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

    /** Step {@code s} begins now, with its deadline from its budget. */
    final S enter(S s) {
        state = s;
        deadline = clock.getAsLong() + budget.applyAsLong(s);
        return s;
    }
}

package dev.mosvm.agent.timekeeping;

/**
 * The clock deadlines and time-outs run on: monotonic milliseconds. The wall clock can step
 * (the {@link ClockKeeper} sets it after a pause, by as long as the pause), and a step must
 * not shorten or stretch a wait.
 */
public final class Monotonic {
    private Monotonic() {}

    public static long millis() {
        return System.nanoTime() / 1_000_000;
    }
}

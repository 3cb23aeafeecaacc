package dev.mosvm.agent.migrate;

/** The clock a move's steps are timed on: monotonic milliseconds (a wall-clock step must not shorten or stretch a deadline). */
final class MoveClock {
    private MoveClock() {}

    static long millis() {
        return System.nanoTime() / 1_000_000;
    }
}

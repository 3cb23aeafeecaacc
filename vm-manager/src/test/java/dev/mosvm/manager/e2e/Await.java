package dev.mosvm.manager.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Waiting in end-to-end tests: for a condition, under a deadline, never for a fixed time. The
 * probe runs at once and then every {@code every} until what it returns is accepted; past the
 * deadline the test fails with what the probe last returned, so a timeout says what the pool
 * was doing instead. An exception from the probe ends the wait as it is (a failed command
 * fails the test, as it would outside a wait).
 */
final class Await {
    private Await() {}

    /** What the test looks at: a command's output, a node's view. */
    @FunctionalInterface
    interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls {@code probe} until {@code ok} accepts its value, and returns that value; fails after {@code within}. */
    static <T> T until(String what, Duration within, Duration every, Probe<T> probe, Predicate<? super T> ok) throws Exception {
        return by(what, Instant.now().plus(within), every, probe, ok);
    }

    /** As {@link #until}, with a deadline that several waits share. */
    static <T> T by(String what, Instant deadline, Duration every, Probe<T> probe, Predicate<? super T> ok) throws Exception {
        Instant start = Instant.now();
        while (true) {
            T seen = probe.get();
            if (ok.test(seen)) return seen;
            Instant now = Instant.now();
            if (!now.isBefore(deadline)) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: not so after %.1f s; last seen: %s", what,
                        Duration.between(start, now).toMillis() / 1000.0, seen));
            }
            Thread.sleep(every.toMillis());
        }
    }
}

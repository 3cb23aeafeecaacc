package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    static final Duration POLL = Duration.ofMillis(1);

    @Test
    void returnsTheFirstValueTheConditionAccepts() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        assertEquals(3, Await.until("three polls", Duration.ofSeconds(10), POLL, polls::incrementAndGet, n -> n >= 3));
        assertEquals(3, polls.get(), "no poll after the condition held");
    }

    @Test
    void aTimeoutSaysWhatWasAwaitedAndWhatWasLastSeen() {
        AtomicInteger polls = new AtomicInteger();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("pb DEAD at pa", Duration.ofMillis(30), POLL, () -> "pb=SUSPECT#" + polls.incrementAndGet(), s -> false));
        assertTrue(e.getMessage().startsWith("pb DEAD at pa: not so after 0."), e.getMessage());
        assertTrue(e.getMessage().endsWith("; last seen: pb=SUSPECT#" + polls.get()), e.getMessage());
    }

    @Test
    void aDeadlineAlreadyPastStillLooksOnce() throws Exception {
        Instant past = Instant.now().minusSeconds(1);
        assertEquals("ok", Await.by("already so", past, POLL, () -> "ok", "ok"::equals));
        assertThrows(AssertionError.class, () -> Await.by("not so", past, POLL, () -> "no", "ok"::equals));
    }

    @Test
    void aFailingProbeEndsTheWaitWithItsOwnError() {
        IOException broken = new IOException("ssh: connection refused");
        assertSame(broken, assertThrows(IOException.class,
                () -> Await.until("never", Duration.ofSeconds(10), POLL, () -> { throw broken; }, s -> true)));
    }
}

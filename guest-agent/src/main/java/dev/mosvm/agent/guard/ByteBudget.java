package dev.mosvm.agent.guard;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes that requests being read may hold together. A reader takes what its buffer grows by
 * before it grows it, and gives all it took back when done; a reader that cannot take more is
 * refused, so many large requests at once cannot fill the heap however they are paced.
 */
public final class ByteBudget {
    private final AtomicLong free;

    public ByteBudget(long bytes) {
        this.free = new AtomicLong(bytes);
    }

    /** Takes {@code bytes} if that much is free; false (taking nothing) if not. */
    public boolean take(long bytes) {
        while (true) {
            long f = free.get();
            if (f < bytes) return false;
            if (free.compareAndSet(f, f - bytes)) return true;
        }
    }

    /** Gives back bytes taken. */
    public void give(long bytes) {
        free.addAndGet(bytes);
    }

    /** The bytes still free. */
    public long available() {
        return free.get();
    }
}

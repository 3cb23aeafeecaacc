package dev.mosvm.agent.timekeeping;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.Logger;

/**
 * The pool's time less this host's ({@link PoolTime}), in milliseconds: what {@link ClockKeeper}
 * adds to the RTC. Kept in a file beside the pool membership, so an agent that restarts, or an
 * appliance that reboots, comes back on the pool's time before it has asked anyone; 0 outside a pool.
 */
public final class PoolClockOffset {
    private static final Logger LOG = Logger.getLogger(PoolClockOffset.class.getName());
    private final Path file;
    private volatile long millis;
    /** The offset the clock keeper last set the clock with; {@link Long#MIN_VALUE} until it has. */
    private volatile long applied = Long.MIN_VALUE;

    private PoolClockOffset(Path file, long millis) {
        this.file = file;
        this.millis = millis;
    }

    /** The offset kept in {@code file} (0 if there is none, or it cannot be read). */
    public static PoolClockOffset load(Path file) {
        long m = 0;
        try {
            if (Files.isRegularFile(file)) m = Long.parseLong(Files.readString(file).strip());
            if (Math.abs(m) > PoolTime.MAX_OFFSET_MILLIS) m = 0;
        } catch (IOException | NumberFormatException e) {
            LOG.warning("cannot read the pool's clock offset in " + file + " (" + e.getMessage() + "): the host's time until a member is asked");
        }
        return new PoolClockOffset(file, m);
    }

    public long millis() {
        return millis;
    }

    /** Called by the clock keeper once the clock is on {@code offsetMillis}. */
    public void markApplied(long offsetMillis) {
        applied = offsetMillis;
    }

    /**
     * The offset the clock is on now, or empty while a new one waits for the clock keeper (an
     * exchange measured then would count the change twice).
     */
    public java.util.OptionalLong applied() {
        long a = applied;
        return a == millis && a != Long.MIN_VALUE ? java.util.OptionalLong.of(a) : java.util.OptionalLong.empty();
    }

    /** Takes a new offset, and keeps it (written aside and moved in whole). */
    public void set(long offsetMillis) throws IOException {
        millis = offsetMillis;
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, Long.toString(offsetMillis) + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

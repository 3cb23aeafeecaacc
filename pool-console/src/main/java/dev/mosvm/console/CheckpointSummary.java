package dev.mosvm.console;

import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Checkpoints in words: one taken (`mosvm checkpoint` on the host, `migrate JOB checkpoint` in
 * an appliance), and a job's latest (`ps -v`).
 */
public final class CheckpointSummary {
    private CheckpointSummary() {}

    /** A checkpoint just taken, in one line. */
    public static void print(PrintWriter out, CheckpointRecord c) {
        String kind = c.parent() == 0 ? "full" : String.format(Locale.ROOT, "incremental on %d; %s with its chain", c.parent(), mib(c.chainBytes()));
        out.printf(Locale.ROOT, "checkpoint %d of %s: %s of pages (%s), job frozen %.2f s, stored at %s%n", c.number(), c.job(),
                mib(c.pagesBytes()), kind, c.frozenMillis() / 1000.0, c.path());
    }

    /**
     * A job's latest checkpoint as `ps -v` says it: its number, how long before {@code now} it
     * was taken, the bytes a restart reads, and how often the job is checkpointed; "-" for none.
     */
    public static String latest(JobView j, Instant now) {
        CheckpointRecord c = j.checkpoint();
        StringBuilder s = new StringBuilder("checkpoint ");
        if (c == null) {
            s.append('-');
        } else {
            s.append(c.number()).append(", ").append(ago(c.at(), now)).append(", ").append(mib(c.chainBytes()));
        }
        if (j.checkpointEveryMinutes() > 0) s.append(", every ").append(j.checkpointEveryMinutes()).append(" min");
        return s.toString();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** How long ago {@code at} was, in the unit that reads best; "taken at AT" if it is not a time this can read. */
    static String ago(String at, Instant now) {
        long s;
        try {
            s = Math.max(0, Duration.between(Instant.parse(at), now).toSeconds());
        } catch (DateTimeParseException | NullPointerException e) {
            return "taken at " + at;
        }
        if (s < 120) return s + " s ago";
        if (s < 120 * 60) return s / 60 + " min ago";
        if (s < 48 * 3600) return s / 3600 + " h ago";
        return s / 86400 + " d ago";
    }
}

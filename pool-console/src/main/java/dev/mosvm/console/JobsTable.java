package dev.mosvm.console;

import dev.mosvm.api.JobView;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** `ps` (`mosvm ps` on the host, `mosps` in an appliance): a line per job in the pool. */
public final class JobsTable {
    private JobsTable() {}

    /**
     * @param why also a line per job on why it is where it is (the placement or migration
     *            decision), and one on its latest checkpoint
     */
    public static void print(PrintWriter out, List<JobView> jobs, boolean why) {
        print(out, jobs, why, Instant.now());
    }

    /** @param now when the list is printed: checkpoints' ages are told from it */
    public static void print(PrintWriter out, List<JobView> jobs, boolean why, Instant now) {
        out.printf("%-14s %-10s %-10s %-10s %-8s %8s %8s %4s %-9s %s%n", "JOB", "USER", "HOME", "WHERE", "STATE", "CPU", "RSS", "MIG",
                "WHY", "COMMAND");
        for (JobView j : jobs) {
            out.printf(Locale.ROOT, "%-14s %-10s %-10s %-10s %-8s %7.1fs %7s %4d %-9s %s%n", j.id(), j.user(), j.home(), j.where(), j.state(),
                    Math.max(0, j.cpuSeconds()), j.rssKb() < 0 ? "-" : j.rssKb() / 1024 + "M", j.migrations(), j.reason(),
                    String.join(" ", j.argv()));
        }
        if (why) {
            for (JobView j : jobs) out.printf("%s: %s%s%n", j.id(), j.reason(), j.why() == null ? "" : " (" + j.why() + ")");
            for (JobView j : jobs) out.printf("%s: %s%n", j.id(), CheckpointSummary.latest(j, now));
        }
    }
}

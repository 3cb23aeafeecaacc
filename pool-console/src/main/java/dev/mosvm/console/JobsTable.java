package dev.mosvm.console;

import dev.mosvm.api.JobView;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** `ps` (`mosvm ps` on the host, `mosps` in an appliance): a line per job in the pool. */
public final class JobsTable {
    private JobsTable() {}

    /** @param why also a line per job on why it is where it is (the placement or migration decision) */
    public static void print(PrintWriter out, List<JobView> jobs, boolean why) {
        out.printf("%-14s %-10s %-10s %-10s %-8s %8s %8s %4s %-9s %s%n", "JOB", "USER", "HOME", "WHERE", "STATE", "CPU", "RSS", "MIG",
                "WHY", "COMMAND");
        for (JobView j : jobs) {
            out.printf(Locale.ROOT, "%-14s %-10s %-10s %-10s %-8s %7.1fs %7s %4d %-9s %s%n", j.id(), j.user(), j.home(), j.where(), j.state(),
                    Math.max(0, j.cpuSeconds()), j.rssKb() < 0 ? "-" : j.rssKb() / 1024 + "M", j.migrations(), j.reason(),
                    String.join(" ", j.argv()));
        }
        if (why) {
            for (JobView j : jobs) out.printf("%s: %s%s%n", j.id(), j.reason(), j.why() == null ? "" : " (" + j.why() + ")");
        }
    }
}

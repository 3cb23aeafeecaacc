package dev.mosvm.console;

import dev.mosvm.api.MigrationRecord;
import java.io.PrintWriter;
import java.util.Locale;

/** A move done, in one line (`mosvm migrate` on the host, `migrate` in an appliance). */
public final class MigrationSummary {
    private MigrationSummary() {}

    public static void print(PrintWriter out, String job, MigrationRecord m) {
        out.printf(Locale.ROOT, "%s moved %s -> %s: frozen %d ms, total %d ms, %.1f MiB in %d pre-copy rounds%n",
                job, m.from(), m.to(), m.freezeMillis(), m.totalMillis(), m.bytes() / 1048576.0, m.rounds());
    }
}

package dev.mosvm.console;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** The `mon` options, the same on the host and in the guest, and what they select. */
public final class MonitorOptions {
    @Option(names = "--once", description = "Print one frame and exit (for scripts and logs).")
    boolean once;

    @Option(names = "--width", paramLabel = "COLUMNS", defaultValue = "80", description = "Frame width with --once (default: 80).")
    int width;

    public void show(LiveMonitor.Source source, PrintWriter out) throws Exception {
        if (once) LiveMonitor.once(source, out, width);
        else LiveMonitor.run(source);
    }
}

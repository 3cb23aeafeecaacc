package dev.mosvm.manager.cli;

import dev.mosvm.api.Json;
import java.io.PrintWriter;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** `--json`: every command that shows something prints either JSON or its text form, through here. */
final class JsonOutput {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    void print(CommandSpec spec, Object value, Consumer<PrintWriter> text) {
        print(spec, json, value, text);
    }

    /** For commands whose --json says more than "Print JSON." (ps, and migrate's, which the guest shares). */
    static void print(CommandSpec spec, boolean json, Object value, Consumer<PrintWriter> text) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.pretty(value));
        } else {
            text.accept(out);
        }
        out.flush();
    }
}

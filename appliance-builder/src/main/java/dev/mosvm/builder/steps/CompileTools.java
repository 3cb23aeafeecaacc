package dev.mosvm.builder.steps;

import dev.mosvm.builder.ProcessRunner;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles the appliance's small native tools: every {@code usr/local/src/NAME.c} of the files
 * tree becomes {@code /usr/local/bin/NAME}. They are C because they start on every job
 * submission, where a start-up cost is paid per job on an emulated, capped CPU, or carry
 * migrations' memory, where a JVM would copy every byte once more. Linked statically, so the
 * build host's libraries need not match the appliance's; a tool names the libraries it needs
 * on a line {@code // link: -lNAME ...} of its source.
 */
public final class CompileTools implements BuildStep {
    static final String SOURCES = "usr/local/src";

    @Override public String description() { return "Compiling the appliance's native tools"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        Path root = ctx.rootfs();
        Path src = root.resolve(SOURCES);
        if (!Files.isDirectory(src)) return;
        Path bin = Files.createDirectories(root.resolve("usr/local/bin"));
        try (DirectoryStream<Path> sources = Files.newDirectoryStream(src, "*.c")) {
            for (Path c : sources) {
                String name = c.getFileName().toString().replaceFirst("\\.c$", "");
                ProcessRunner.check(command(c, bin.resolve(name), libraries(Files.readAllLines(c))), "compiling " + name, ctx.progress::detail);
            }
        }
    }

    /** The compiler command for one tool (guest-agent's test NativeTools repeats these flags to build the tools its tests run). */
    static List<String> command(Path source, Path output, List<String> libraries) {
        List<String> cmd = new ArrayList<>(List.of("cc", "-O2", "-Wall", "-Werror", "-static", "-s", "-o", output.toString(), source.toString()));
        cmd.addAll(libraries);
        return cmd;
    }

    /** The libraries a tool's source names on its {@code // link:} line (none if it has none). */
    static List<String> libraries(List<String> source) {
        for (String line : source) {
            if (line.startsWith("// link:")) return List.of(line.substring("// link:".length()).trim().split("\\s+"));
        }
        return List.of();
    }
}

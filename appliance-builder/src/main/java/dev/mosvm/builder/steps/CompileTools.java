package dev.mosvm.builder.steps;

import dev.mosvm.builder.ProcessRunner;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Compiles the appliance's small native tools: every {@code usr/local/src/NAME.c} of the files
 * tree becomes {@code /usr/local/bin/NAME}. They are C because they start on every job
 * submission, where a start-up cost is paid per job on an emulated, capped CPU. Linked
 * statically, so the build host's C library need not match the appliance's.
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
                ProcessRunner.check(command(c, bin.resolve(name)), "compiling " + name, ctx.progress::detail);
            }
        }
    }

    /** The compiler command for one tool (guest-agent's test NativeTools repeats these flags to build the tools its tests run). */
    static List<String> command(Path source, Path output) {
        return List.of("cc", "-O2", "-Wall", "-Werror", "-static", "-s", "-o", output.toString(), source.toString());
    }
}

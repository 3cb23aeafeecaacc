package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The appliance's native tools (images/files/usr/local/src), built for a test as the image build
 * builds them. The tests that use them are integration tests ({@code @Tag("integration")}): on a
 * machine without root, gcc or tini they fail, never skip, unless the build leaves them out.
 */
public final class NativeTools {
    private NativeTools() {}

    private static final String OR_SKIP = " (or leave the integration tests out: mvn verify -DskipIntegration; see docs/testing.md)";

    /** Jobs started through the launcher get PID namespaces and tini: the tests that start them need root and tini. */
    public static void assertCanLaunchJobs() {
        assertEquals("root", System.getProperty("user.name"), "jobs get PID namespaces: run the tests as root (as .ci/run does)" + OR_SKIP);
        assertTrue(Files.isExecutable(Path.of("/usr/bin/tini-static")), "tini is installed by scripts/setup-host.sh" + OR_SKIP);
    }

    /** Compiles {@code NAME.c} into {@code dir/NAME} with appliance-builder's CompileTools flags and its {@code // link:} libraries. */
    public static Path compile(String name, Path dir) throws Exception {
        Path source = Path.of("..", "images", "files", "usr", "local", "src", name + ".c").toAbsolutePath().normalize();
        Path binary = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("cc", "-O2", "-Wall", "-Werror", "-static", "-s", "-o", binary.toString(), source.toString()));
        for (String line : Files.readAllLines(source)) {
            if (line.startsWith("// link:")) cmd.addAll(List.of(line.substring("// link:".length()).trim().split("\\s+")));
        }
        Process cc;
        try {
            cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException noCompiler) {
            throw new AssertionError("no C compiler: gcc and libc6-dev come with scripts/setup-host.sh" + OR_SKIP, noCompiler);
        }
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), name + ".c compiles (gcc and libc6-dev come with scripts/setup-host.sh" + OR_SKIP + "): " + out);
        return binary;
    }
}

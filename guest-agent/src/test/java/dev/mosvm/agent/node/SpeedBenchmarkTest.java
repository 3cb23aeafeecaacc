package dev.mosvm.agent.node;

import dev.mosvm.agent.jobs.NativeTools;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The appliance's native speed loop (mosvm-speed) against the Java one it replaces there. */
class SpeedBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void theNativeLoopReadsTheSameSpeedAsTheJavaLoopNatively() throws Exception {
        Path tool = NativeTools.compile("mosvm-speed", dir);
        double inJava = SpeedBenchmark.measureInJava(300);
        double natively = SpeedBenchmark.measureNatively(tool, 300);
        // the same reference applies to both: natively they agree (measured 0.54-0.57 and 0.56)
        assertTrue(natively > 0 && natively / inJava > 0.67 && natively / inJava < 1.5, "native " + natively + " vs Java " + inJava);
    }

    @Test
    void aToolThatFailsOrPrintsNoNumberIsAnError() throws Exception {
        Path broken = dir.resolve("broken");
        Files.writeString(broken, "#!/bin/sh\necho 'no speed here'\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        assertThrows(java.io.IOException.class, () -> SpeedBenchmark.measureNatively(broken, 50));
        Path failing = dir.resolve("failing");
        Files.writeString(failing, "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwx------"));
        assertThrows(java.io.IOException.class, () -> SpeedBenchmark.measureNatively(failing, 50));
    }

    @Test
    void theToolRefusesABadBudget() throws Exception {
        Path tool = NativeTools.compile("mosvm-speed", dir);
        Process p = new ProcessBuilder(tool.toString(), "0").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor() == 2 && out.startsWith("usage:"), out);
    }
}

package dev.mosvm.agent.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.NativeTools;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The appliance's native speed loop (mosvm-speed), built with the host's gcc, against the Java one it replaces there. */
@Tag("integration")
class SpeedBenchmarkIntegrationTest {
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
    void theToolRefusesABadBudget() throws Exception {
        Path tool = NativeTools.compile("mosvm-speed", dir);
        Process p = new ProcessBuilder(tool.toString(), "0").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor() == 2 && out.startsWith("usage:"), out);
    }
}

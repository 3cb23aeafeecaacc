package dev.mosvm.agent.node;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the native speed loop's answer (the loop itself: SpeedBenchmarkIntegrationTest). */
class SpeedBenchmarkTest {
    @TempDir
    Path dir;

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
}

package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target's part of a page-server round that runs without CRIU: its round directories. */
class PageServerTest {
    @TempDir Path dir;

    @Test
    void aRoundAfterTheFirstLinksToItsParentBeforeThePagesArrive() throws IOException {
        Path first = TargetMigration.roundDir(dir, "1");
        assertTrue(Files.isDirectory(first));
        assertFalse(Files.exists(first.resolve("parent")));
        Path second = TargetMigration.roundDir(dir, "2\u00001");
        assertEquals(Path.of("../1"), Files.readSymbolicLink(second.resolve("parent")));
        assertEquals(first.toRealPath(), second.resolve("parent").toRealPath());
    }

    @Test
    void refusesRoundNamesThatLeaveTheMigrationsDirectory() {
        for (String bad : new String[] {"../x", "1\u0000../../etc", "", "1/2", "12345"}) {
            assertThrows(IOException.class, () -> TargetMigration.roundDir(dir, bad), bad);
        }
    }
}

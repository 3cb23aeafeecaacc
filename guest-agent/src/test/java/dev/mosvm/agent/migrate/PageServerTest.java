package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.MigrationFrames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target's part of a page-server round that runs without CRIU: its round directories. */
class PageServerTest {
    @TempDir Path dir;

    /** A round as the source announces it in a PAGES frame, decoded as the target decodes it. */
    static MigrationFrames.Pages pages(String announced) throws IOException {
        return MigrationFrames.Pages.of(Frame.text(MessageType.PAGES, announced));
    }

    @Test
    void aRoundAfterTheFirstLinksToItsParentBeforeThePagesArrive() throws IOException {
        Path first = TargetMigration.roundDir(dir, pages("1"));
        assertTrue(Files.isDirectory(first));
        assertFalse(Files.exists(first.resolve("parent")));
        Path second = TargetMigration.roundDir(dir, pages("2\u00001"));
        assertEquals(Path.of("../1"), Files.readSymbolicLink(second.resolve("parent")));
        assertEquals(first.toRealPath(), second.resolve("parent").toRealPath());
    }

    @Test
    void refusesRoundNamesThatLeaveTheMigrationsDirectory() {
        for (String bad : new String[] {"../x", "1\u0000../../etc", "", "1/2", "12345"}) {
            assertThrows(IOException.class, () -> TargetMigration.roundDir(dir, pages(bad)), bad);
        }
    }
}

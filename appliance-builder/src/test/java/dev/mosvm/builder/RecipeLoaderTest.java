package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeLoaderTest {
    static final Path DEFAULT = Path.of("../images/default.yaml");

    @Test
    void theShippedRecipeIsValid() throws Exception {
        Recipe r = RecipeLoader.load(DEFAULT);
        assertEquals("bookworm", r.suite());
        assertTrue(r.packages().contains("criu"));
        assertTrue(r.packages().contains("nfs-kernel-server"));
        assertTrue(r.packages().stream().anyMatch(p -> p.startsWith("linux-image-")));
    }

    @Test
    void reportsEveryProblemWithItsField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "name: x\nversion: '1'\nsuite: bookworm\npackages: [criu, 'Bad Name']\n"
                + "disk-size: 12Q\nkernel-cmdline: quiet\nfiles: nowhere\n");
        BuildException e = assertThrows(BuildException.class, () -> RecipeLoader.load(f));
        String m = e.getMessage();
        assertTrue(m.contains("packages[1]"), m);
        assertTrue(m.contains("no linux-image-"), m);
        assertTrue(m.contains("disk-size"), m);
        assertTrue(m.contains("kernel-cmdline"), m);
        assertTrue(m.contains("files"), m);
    }

    @Test
    void unknownKeysAndMissingFilesAreErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("typo.yaml");
        Files.writeString(f, "name: x\npackagez: [criu]\n");
        assertTrue(assertThrows(BuildException.class, () -> RecipeLoader.load(f)).getMessage().contains("packagez"));
        assertTrue(assertThrows(BuildException.class, () -> RecipeLoader.load(dir.resolve("none.yaml")))
                .getMessage().contains("not found"));
    }
}

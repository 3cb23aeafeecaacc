package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.builder.steps.BuildContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootstrapCommandTest {
    @Test
    void commandCarriesPackagesExclusionsAndSuite() throws Exception {
        Recipe r = RecipeLoader.load(RecipeLoaderTest.DEFAULT);
        BuildContext ctx = new BuildContext(r, RecipeLoaderTest.DEFAULT, Path.of("agent.jar"), "k", Path.of("/tmp/w"),
                ProgressListener.SILENT);
        List<String> cmd = dev.mosvm.builder.steps.BootstrapAccess.command(ctx);
        assertEquals("mmdebstrap", cmd.get(0));
        assertTrue(cmd.contains("--mode=root"));
        assertTrue(cmd.stream().anyMatch(a -> a.startsWith("--include=") && a.contains("criu") && a.contains("linux-image-cloud-amd64")));
        assertTrue(cmd.contains("--dpkgopt=path-exclude=/usr/share/man/*"));
        assertTrue(cmd.contains("bookworm"));
        assertTrue(cmd.contains("/tmp/w/rootfs"));
    }
}

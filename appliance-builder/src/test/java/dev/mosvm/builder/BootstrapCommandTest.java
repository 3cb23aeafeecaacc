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

    @Test
    void theHostsMirrorSettingsReachTheGuestsApt() {
        String dump = String.join("\n", "APT \"\";", "Acquire::Check-Valid-Until \"false\";", "Acquire::http::Proxy \"http://proxy:3142/\";",
                "Acquire::http::Proxy-Auto-Detect \"x\";", "Acquire::Retries \"3\";", "Dir::Etc \"etc/apt/\";");
        assertEquals(List.of("Acquire::Check-Valid-Until \"false\";", "Acquire::http::Proxy \"http://proxy:3142/\";"),
                dev.mosvm.builder.steps.BootstrapAccess.hostAcquireOptions(dump));
        String local = String.join("\n", "Acquire::http::Proxy \"http://127.0.0.1:3142/\";", "Acquire::https::Proxy \"http://u:secret@proxy:3128/\";",
                "Acquire::http::Proxy \"http://localhost:3142\";");
        assertEquals(List.of(), dev.mosvm.builder.steps.BootstrapAccess.hostAcquireOptions(local), "loopback proxies and credentials stay on the host");
    }
}

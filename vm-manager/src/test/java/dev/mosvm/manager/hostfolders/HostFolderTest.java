package dev.mosvm.manager.hostfolders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostFolderTest {
    static String refusal(String... specs) {
        MosvmException e = assertThrows(MosvmException.class, () -> HostFolder.parseAll(List.of(specs)));
        assertEquals(ExitCodes.INVALID_INPUT, e.exitCode());
        return e.getMessage();
    }

    @Test
    void readOnlyUnlessAskedAndAtTheSamePath() {
        assertEquals(List.of(new HostFolder(Path.of("/home/bob"), false), new HostFolder(Path.of("/srv/data"), true),
                new HostFolder(Path.of("/tmp/x y"), false)), HostFolder.parseAll(List.of("/home/bob", "/srv/data/:rw", "/tmp/x y:ro")));
        assertEquals("/srv/data:rw", HostFolder.parse("/srv/./data:rw").spec());
        assertEquals(List.of(), HostFolder.parseAll(List.of("none")));
    }

    @Test
    void badSpecsAreRefusedNamingWhy() {
        assertTrue(refusal("data:rw").contains("absolute path"));
        assertTrue(refusal(":rw").contains("a folder is required"));
        assertTrue(refusal("/tmp/a\nb").contains("letters, digits"));
        assertTrue(refusal("/tmp/$(reboot)").contains("letters, digits"));
        assertTrue(refusal("/tmp/x", "none").contains("stands alone"));
        assertTrue(refusal("/srv/a", "/srv/a/b:rw").contains("overlaps /srv/a"));
    }

    @Test
    void theAppliancesOwnDirectoriesCannotBeCovered() {
        assertTrue(refusal("/").contains("the appliance's own / is there"));
        assertTrue(refusal("/home:rw").contains("own /home"));
        assertTrue(refusal("/etc/x").contains("lies in the appliance's /etc"));
        assertTrue(refusal("/pool/a").contains("/pool"));
        assertTrue(refusal("/root/.ssh").contains("/root/.ssh"));
        assertTrue(refusal("/usr/local/src").contains("/usr"));
        assertEquals(1, HostFolder.parseAll(List.of("/root/work")).size(), "root's own folders are fine");
    }

    @Test
    void foldersInTheTreesDirectoriesReachOtherNodes() {
        assertTrue(HostFolder.parse("/home/bob").reachesOtherNodes());
        assertTrue(HostFolder.parse("/tmp/x").reachesOtherNodes());
        assertFalse(HostFolder.parse("/Users/bob").reachesOtherNodes());
        assertFalse(HostFolder.parse("/data/x").reachesOtherNodes());
    }

    @Test
    void findsTheFolderHoldingADirectory() {
        List<HostFolder> f = HostFolder.parseAll(List.of("/srv/a", "/home/bob/src:rw"));
        assertEquals("/home/bob/src", HostFolder.holding(f, Path.of("/home/bob/src/x/../y")).orElseThrow().path().toString());
        assertTrue(HostFolder.holding(f, Path.of("/home/bob")).isEmpty());
        assertTrue(HostFolder.holding(f, Path.of("/srv/ab")).isEmpty(), "a name that only begins alike is not inside");
    }
}

package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mosvm.api.Json;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class CheckpointManifestTest {
    private static final String NAME = "checkpoint ca.17/3";

    @Test
    void aSealedManifestReadsBackAsItWasWrittenAndStillVerifies() throws Exception {
        CheckpointManifest m = CheckpointSamples.sealed();
        CheckpointManifest back = CheckpointManifest.parse(m.toJson(), NAME);
        assertEquals(m, back);
        assertTrue(back.signedWith(CheckpointSamples.KEY));
        assertFalse(back.signedWith(CheckpointSamples.OTHER_KEY));
        assertEquals(null, back.stdio().get(1), "a descriptor that is not a pipe stays null");
        assertEquals(42 + 8192, back.bytes());
        assertEquals("checkpoint ca.17/3", back.name());
    }

    @Test
    void theMacCoversTheFieldsNotTheirLayout() throws Exception {
        CheckpointManifest m = CheckpointSamples.sealed();
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(m.toJson());
        tree.put("addedByALaterVersion", "ignored");
        byte[] compact = Json.MAPPER.writeValueAsBytes(tree); // other spacing, an unknown field
        CheckpointManifest back = CheckpointManifest.parse(compact, NAME);
        assertTrue(back.signedWith(CheckpointSamples.KEY));
        assertArrayEquals(m.canonical(), back.canonical());
        String canonical = new String(m.canonical(), StandardCharsets.UTF_8);
        assertFalse(canonical.contains("\"mac\""), canonical);
        assertTrue(canonical.startsWith("{\"errBytes\":17,\"files\":{\"inventory.img\":"), canonical);
    }

    @Test
    void aChangedFieldBreaksTheMac() throws Exception {
        CheckpointManifest m = CheckpointSamples.sealed();
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(m.toJson());
        ((ObjectNode) tree.get("spec")).put("uid", 0);
        CheckpointManifest forged = CheckpointManifest.parse(Json.MAPPER.writeValueAsBytes(tree), NAME);
        assertFalse(forged.signedWith(CheckpointSamples.KEY));
    }

    @Test
    void aManifestOfANewerFormatIsRefusedWithWhatToDo() {
        assertEquals("checkpoint ca.17/3 was taken by a newer mosvm (manifest format 2, this node reads 1): restore it on an updated node",
                refusal(t -> t.put("format", 2)));
    }

    @Test
    void everyFieldIsChecked() {
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has no format version", refusal(t -> t.remove("format")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has no valid job id", refusal(t -> t.put("job", "../etc")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has number 0, outside 1 to 999999999", refusal(t -> t.put("number", 0)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has parent 3, which is not below its number 3", refusal(t -> t.put("parent", 3)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has parent -1, which is not below its number 3", refusal(t -> t.put("parent", -1)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest is for job ca.17 but holds the spec of another",
                refusal(t -> ((ObjectNode) t.get("spec")).put("id", "ca.18")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has no valid home node", refusal(t -> ((ObjectNode) t.get("spec")).put("home", "c/a")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a negative uid or gid", refusal(t -> ((ObjectNode) t.get("spec")).put("uid", -1)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has no valid node that took it", refusal(t -> t.putNull("node")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a standard pipe that is not a pipe id",
                refusal(t -> t.withArray("stdio").set(0, "/etc/shadow")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a negative count", refusal(t -> t.put("outBytes", -1)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a time that is not an ISO instant", refusal(t -> t.put("takenAt", "yesterday")));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest lists a file with a bad name",
                refusal(t -> ((ObjectNode) t.get("files")).set("../../etc/passwd", t.get("files").get("stats-dump"))));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest lists a file with a bad name",
                refusal(t -> ((ObjectNode) t.get("files")).set("..", t.get("files").get("stats-dump"))));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest lists a file with a bad name",
                refusal(t -> ((ObjectNode) t.get("files")).set("manifest.json", t.get("files").get("stats-dump"))));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a bad size or sum for pages-1.img",
                refusal(t -> ((ObjectNode) t.get("files").get("pages-1.img")).put("size", -8192)));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has a bad size or sum for pages-1.img",
                refusal(t -> ((ObjectNode) t.get("files").get("pages-1.img")).put("sha256", "AB".repeat(32))));
        assertEquals("checkpoint ca.17/3 is damaged: its manifest has no valid MAC", refusal(t -> t.remove("mac")));
        assertTrue(refusal(t -> t.put("number", "three")).startsWith("checkpoint ca.17/3 is damaged: its manifest is not readable JSON ("));
    }

    @Test
    void somethingThatIsNoManifestIsRefusedInOneLine() {
        for (String junk : new String[] {"", "null", "[1,2]", "{\"format\":1", "\u0000\u0001", "{\"format\":1}"}) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointManifest.parse(junk.getBytes(StandardCharsets.UTF_8), NAME));
            assertTrue(e.getMessage().startsWith("checkpoint ca.17/3 is damaged: its manifest "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    private static String refusal(Consumer<ObjectNode> change) {
        try {
            ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(CheckpointSamples.sealed().toJson());
            change.accept(tree);
            byte[] json = Json.MAPPER.writeValueAsBytes(tree);
            return assertThrows(CheckpointException.class, () -> CheckpointManifest.parse(json, NAME)).getMessage();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}

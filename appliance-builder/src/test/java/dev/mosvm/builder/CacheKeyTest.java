package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheKeyTest {
    static Path jar(Path dir, String name, String content, long time) throws Exception {
        Path jar = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(jar); ZipOutputStream z = new ZipOutputStream(o)) {
            ZipEntry e = new ZipEntry("a/B.class");
            e.setTime(time);
            z.putNextEntry(e);
            z.write(content.getBytes());
        }
        return jar;
    }

    static Path recipeDir(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("files/etc"));
        Files.writeString(dir.resolve("files/etc/x.conf"), "one");
        Path r = dir.resolve("r.yaml");
        Files.writeString(r, "name: x\n");
        return r;
    }

    static Recipe recipe() {
        return new Recipe("x", "1", "bookworm", null, null, java.util.List.of("linux-image-cloud-amd64"), null, null, "4G",
                "root=/dev/vda", "files", null);
    }

    @Test
    void sameContentSameKeyWhateverTheTimestamps(@TempDir Path dir) throws Exception {
        Path r = recipeDir(dir);
        String k1 = CacheKey.compute(r, recipe(), jar(dir, "a.jar", "code", 1_000_000L));
        Files.setLastModifiedTime(dir.resolve("files/etc/x.conf"), FileTime.fromMillis(42));
        String k2 = CacheKey.compute(r, recipe(), jar(dir, "b.jar", "code", 9_000_000_000L));
        assertEquals(k1, k2);
    }

    @Test
    void anyInputChangeChangesTheKey(@TempDir Path dir) throws Exception {
        Path r = recipeDir(dir);
        Path jar = jar(dir, "a.jar", "code", 0);
        String base = CacheKey.compute(r, recipe(), jar);
        assertNotEquals(base, CacheKey.compute(r, recipe(), jar(dir, "c.jar", "code2", 0)), "agent jar");
        Files.writeString(dir.resolve("files/etc/x.conf"), "two");
        String filesChanged = CacheKey.compute(r, recipe(), jar);
        assertNotEquals(base, filesChanged, "files tree");
        Files.writeString(r, "name: y\n");
        assertNotEquals(filesChanged, CacheKey.compute(r, recipe(), jar), "recipe text");
    }
}

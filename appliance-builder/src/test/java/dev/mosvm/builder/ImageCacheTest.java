package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCacheTest {
    static ApplianceImage fakeImage(Path cacheDir, String key) throws Exception {
        Path dir = Files.createDirectories(cacheDir.resolve("images").resolve(key));
        Map<String, ImageManifest.FileEntry> files = new TreeMap<>();
        for (String n : new String[] {ApplianceImage.DISK, ApplianceImage.KERNEL, ApplianceImage.INITRD}) {
            Files.writeString(dir.resolve(n), "content of " + n);
            files.put(n, new ImageManifest.FileEntry(Files.size(dir.resolve(n)), CacheKey.sha256(dir.resolve(n))));
        }
        ImageManifest m = new ImageManifest(key, "t", "1", "now", "root=/dev/vda", 1, Map.of(), files, 0);
        ImageCache.JSON.writeValue(dir.resolve(ApplianceImage.MANIFEST).toFile(), m);
        return new ApplianceImage(dir, m);
    }

    @Test
    void findsVerifiesAndDetectsCorruption(@TempDir Path cacheDir) throws Exception {
        fakeImage(cacheDir, "k1");
        ImageCache cache = new ImageCache(cacheDir);
        ApplianceImage img = cache.find("k1").orElseThrow();
        assertDoesNotThrow(() -> ImageCache.verify(img));
        Files.writeString(img.disk(), "content of disk.qcoW2");
        BuildException e = assertThrows(BuildException.class, () -> ImageCache.verify(img));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains(ApplianceImage.DISK), e.getMessage());
        Files.writeString(img.disk(), "content of disk.qcow2");
        Files.delete(img.kernel());
        assertTrue(assertThrows(BuildException.class, () -> ImageCache.verify(img)).getMessage().contains("missing"));
    }

    @Test
    void halfWrittenBuildsAreNotImages(@TempDir Path cacheDir) throws Exception {
        Files.createDirectories(cacheDir.resolve("images/.build-k2/rootfs"));
        Files.createDirectories(cacheDir.resolve("images/k3")); // no manifest: never published
        ImageCache cache = new ImageCache(cacheDir);
        assertTrue(cache.list().isEmpty());
        assertTrue(cache.find("k3").isEmpty());
    }

    @Test
    void safeDeleteRemovesATree(@TempDir Path dir) throws Exception {
        Path t = Files.createDirectories(dir.resolve("a/b/c"));
        Files.writeString(t.resolve("f"), "x");
        SafeDelete.deleteTree(dir.resolve("a"));
        assertTrue(Files.notExists(dir.resolve("a")));
    }
}

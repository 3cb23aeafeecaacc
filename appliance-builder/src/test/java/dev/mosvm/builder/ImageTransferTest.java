package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An image exported on one machine and pulled into another's cache, from a directory or over HTTP; anything that does not check out leaves nothing. */
class ImageTransferTest {
    static final String KEY = "0123456789abcdef";
    @TempDir Path dir;

    Path exported() throws Exception {
        ApplianceImage img = ImageCacheTest.fakeImage(dir.resolve("built"), KEY);
        Path out = dir.resolve("export");
        String sha = ImageTransfer.export(img, out);
        assertEquals(CacheKey.sha256(out.resolve(ApplianceImage.MANIFEST)), sha);
        return out;
    }

    ImageCache target() {
        return new ImageCache(dir.resolve("workstation"));
    }

    void assertNothingKept(ImageCache cache) throws Exception {
        assertTrue(cache.find(KEY).isEmpty(), "no image");
        if (Files.isDirectory(cache.root())) {
            try (var s = Files.list(cache.root())) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".pull-")), "no half-pulled directory");
            }
        }
    }

    @Test
    void anExportedImagePullsFromItsDirectoryWithItsManifestHash() throws Exception {
        Path src = exported();
        String sha = CacheKey.sha256(src.resolve(ApplianceImage.MANIFEST));
        ApplianceImage got = ImageTransfer.pull(target(), src.toString(), sha, KEY, ProgressListener.SILENT);
        assertEquals(KEY, got.key());
        ImageCache.verify(got);
        assertEquals(got.dir(), target().find(KEY).orElseThrow().dir());
        assertEquals(got.dir(), ImageTransfer.pull(target(), src.toString(), sha, KEY, ProgressListener.SILENT).dir(), "a second pull finds it");
    }

    @Test
    void aWrongManifestHashAnotherReleasesKeyOrADamagedFileKeepNothing() throws Exception {
        Path src = exported();
        BuildException e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), "ab".repeat(32), null, ProgressListener.SILENT));
        assertTrue(e.getMessage().startsWith("the manifest at " + src + " has SHA-256 "), e.getMessage());
        e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), null, "fedcba9876543210", ProgressListener.SILENT));
        assertEquals("the image at " + src + " is " + KEY + ", but this mosvm runs images fedcba9876543210 (another release's recipe or agent)", e.getMessage());
        Files.writeString(src.resolve(ApplianceImage.KERNEL), "content of vmlinuX");
        e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), null, KEY, ProgressListener.SILENT));
        assertTrue(e.getMessage().startsWith("vmlinuz does not match its manifest"), e.getMessage());
        assertNothingKept(target());
        Files.writeString(src.resolve(ApplianceImage.KERNEL), "content of vmlinuz, and more");
        e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), null, KEY, ProgressListener.SILENT));
        assertTrue(e.getMessage().startsWith("vmlinuz is larger than its manifest's"), e.getMessage());
        assertNothingKept(target());
    }

    @Test
    void aManifestNamingOtherFilesIsRefusedBeforeAnythingIsFetched() throws Exception {
        Path src = exported();
        ImageManifest m = ImageCache.JSON.readValue(src.resolve(ApplianceImage.MANIFEST).toFile(), ImageManifest.class);
        var files = new java.util.TreeMap<>(m.files());
        files.put("../../.bashrc", files.remove(ApplianceImage.INITRD));
        ImageCache.JSON.writeValue(src.resolve(ApplianceImage.MANIFEST).toFile(),
                new ImageManifest(m.key(), m.name(), m.version(), m.builtAt(), m.kernelCmdline(), 1, Map.of(), files, 0));
        BuildException e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), null, null, ProgressListener.SILENT));
        assertTrue(e.getMessage().contains("names files") && e.getMessage().contains("not an image's"), e.getMessage());
        assertNothingKept(target());
        Files.writeString(src.resolve(ApplianceImage.MANIFEST), "{not json");
        e = assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), src.toString(), null, null, ProgressListener.SILENT));
        assertTrue(e.getMessage().startsWith(src + " holds no image manifest"), e.getMessage());
        assertEquals("no directory /nonexistent", assertThrows(BuildException.class,
                () -> ImageTransfer.pull(target(), "/nonexistent", null, null, ProgressListener.SILENT)).getMessage());
        assertEquals("cannot pull from ftp://x/y", assertThrows(BuildException.class,
                () -> ImageTransfer.pull(target(), "ftp://x/y", null, null, ProgressListener.SILENT)).getMessage());
    }

    @Test
    void anImagePullsOverHttpAndAMissingOneSaysWhat() throws Exception {
        Path src = exported();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/images/", x -> {
            Path f = src.resolve(x.getRequestURI().getPath().substring("/images/".length()));
            if (!Files.isRegularFile(f)) {
                x.sendResponseHeaders(404, -1);
            } else {
                x.sendResponseHeaders(200, Files.size(f));
                try (var out = x.getResponseBody()) {
                    Files.copy(f, out);
                }
            }
            x.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            String sha = CacheKey.sha256(src.resolve(ApplianceImage.MANIFEST));
            assertTrue(assertThrows(BuildException.class, () -> ImageTransfer.pull(target(), base + "/images", null, KEY, ProgressListener.SILENT))
                    .getMessage().startsWith("pulling over plain http needs the manifest's hash"));
            assertEquals("cannot fetch " + base + "/nothing/manifest.json: HTTP 404", assertThrows(BuildException.class,
                    () -> ImageTransfer.pull(target(), base + "/nothing", sha, KEY, ProgressListener.SILENT)).getMessage());
            ApplianceImage got = ImageTransfer.pull(target(), base + "/images", sha, KEY, ProgressListener.SILENT);
            ImageCache.verify(got);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void exportRefusesADirectoryThatHoldsSomething() throws Exception {
        ApplianceImage img = ImageCacheTest.fakeImage(dir.resolve("built"), KEY);
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/keep-me"), "a user's file");
        assertThrows(BuildException.class, () -> ImageTransfer.export(img, dir.resolve("full")));
        assertEquals("a user's file", Files.readString(dir.resolve("full/keep-me")));
    }
}

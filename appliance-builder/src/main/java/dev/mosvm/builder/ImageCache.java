package dev.mosvm.builder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Built images under {@code <cache>/images/<key>/}. An image directory appears only by an
 * atomic rename of a finished build, so a directory named by a key is always complete;
 * half-written builds live in {@code .build-<key>} and are removed on failure.
 */
public final class ImageCache {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Path root;

    public ImageCache(Path cacheDir) {
        this.root = cacheDir.resolve("images");
    }

    public Path root() {
        return root;
    }

    public Optional<ApplianceImage> find(String key) throws IOException {
        Path dir = root.resolve(key);
        Path manifest = dir.resolve(ApplianceImage.MANIFEST);
        if (!Files.isRegularFile(manifest)) return Optional.empty();
        return Optional.of(new ApplianceImage(dir, JSON.readValue(manifest.toFile(), ImageManifest.class)));
    }

    public List<ApplianceImage> list() throws IOException {
        List<ApplianceImage> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.sorted().toList()) {
                if (!d.getFileName().toString().startsWith(".")) find(d.getFileName().toString()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Checks every file against the manifest's sha256; throws naming the first mismatch. */
    public static void verify(ApplianceImage image) throws BuildException, IOException {
        for (Map.Entry<String, ImageManifest.FileEntry> e : image.manifest().files().entrySet()) {
            Path f = image.dir().resolve(e.getKey());
            String hint = "remove it with `mosvm image rm " + image.key() + "`; the next `mosvm up` rebuilds it";
            if (!Files.isRegularFile(f)) {
                throw new BuildException("image " + image.key() + " is missing " + e.getKey(), hint);
            }
            String actual = CacheKey.sha256(f);
            if (!actual.equals(e.getValue().sha256())) {
                throw new BuildException("image " + image.key() + " is corrupt: " + e.getKey() + " sha256 "
                        + actual.substring(0, 12) + "… does not match the manifest's " + e.getValue().sha256().substring(0, 12) + "…", hint);
            }
        }
    }

    /** Holds an exclusive lock on one key so concurrent builds of the same image wait. */
    public LockFile lock(String key) throws IOException {
        return LockFile.acquire(root.resolve("." + key + ".lock"));
    }

    void publish(Path work, String key) throws IOException {
        Files.move(work, root.resolve(key), StandardCopyOption.ATOMIC_MOVE);
    }

    public void remove(String key) throws IOException {
        SafeDelete.deleteTree(root.resolve(key));
    }
}

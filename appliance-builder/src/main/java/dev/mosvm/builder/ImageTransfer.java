package dev.mosvm.builder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Images that travel: a built image leaves a Linux machine with {@link #export} (a directory of
 * its manifest and files) and enters another workstation's cache with {@link #pull}, from a
 * directory or an http(s) URL of one. macOS and Windows hosts cannot build the image (the
 * build needs Debian's tools and root), so this is how they get one.
 *
 * <p>What is trusted: the manifest names every file with its size and SHA-256, and each file is
 * checked as it arrives; the manifest itself is checked against the SHA-256 the user passes
 * (printed by export, published beside the image), and its key must be the one this release of
 * mosvm computes, or {@code mosvm up} would not use it. Nothing reaches the cache unless all of
 * it checks out: files arrive in {@code .pull-KEY} and the directory is renamed into place whole.
 */
public final class ImageTransfer {
    private ImageTransfer() {}

    /** The only files an image has: a manifest naming anything else (a path, say) is refused. */
    static final Set<String> FILES = Set.of(ApplianceImage.DISK, ApplianceImage.KERNEL, ApplianceImage.INITRD);
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{16}");
    /** No manifest is this large; a source that sends more is not an image. */
    private static final int MAX_MANIFEST_BYTES = 1 << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    /** Copies {@code image} into {@code target} (made; must not hold anything); returns the manifest's SHA-256. */
    public static String export(ApplianceImage image, Path target) throws IOException, BuildException {
        ImageCache.verify(image);
        if (Files.exists(target) && (!Files.isDirectory(target) || hasEntries(target))) {
            throw new BuildException(target + " exists and is not an empty directory", "name a new directory");
        }
        Files.createDirectories(target);
        for (String f : image.manifest().files().keySet()) Files.copy(image.dir().resolve(f), target.resolve(f));
        Files.copy(image.dir().resolve(ApplianceImage.MANIFEST), target.resolve(ApplianceImage.MANIFEST));
        return CacheKey.sha256(target.resolve(ApplianceImage.MANIFEST));
    }

    /**
     * Brings the image at {@code source} (a directory, or an http(s) URL of one) into
     * {@code cache}; the image already there if the cache has it.
     *
     * @param manifestSha256 the manifest's SHA-256 as its publisher gave it, or null to trust the
     *                       source (a directory the user made with export, say)
     * @param expectedKey    the key this mosvm computes for its recipe and agent, or null to take any
     */
    public static ApplianceImage pull(ImageCache cache, String source, String manifestSha256, String expectedKey, ProgressListener progress)
            throws IOException, BuildException, InterruptedException {
        if (source.startsWith("http://") && manifestSha256 == null) {
            throw new BuildException("pulling over plain http needs the manifest's hash: anyone on the way could hand over another image",
                    "add --sha256 HASH (image export prints it), or use https");
        }
        Source src = Source.of(source);
        byte[] manifestBytes = src.manifest();
        String actual = HexFormat.of().formatHex(CacheKey.sha256().digest(manifestBytes));
        if (manifestSha256 != null && !actual.equalsIgnoreCase(manifestSha256.strip())) {
            throw new BuildException("the manifest at " + source + " has SHA-256 " + actual.substring(0, 12) + "…, not the "
                    + manifestSha256.strip().substring(0, Math.min(12, manifestSha256.strip().length())) + "… given", "check the source and the hash you were given");
        }
        ImageManifest m;
        try {
            m = ImageCache.JSON.readValue(manifestBytes, ImageManifest.class);
        } catch (IOException e) {
            throw new BuildException(source + " holds no image manifest (" + e.getMessage().lines().findFirst().orElse("") + ")", "point at a directory made by mosvm image export");
        }
        checkManifest(m, source);
        if (expectedKey != null && !expectedKey.equals(m.key())) {
            throw new BuildException("the image at " + source + " is " + m.key() + ", but this mosvm runs images " + expectedKey
                    + " (another release's recipe or agent)", "pull the image published with this release");
        }
        var existing = cache.find(m.key());
        if (existing.isPresent()) {
            ImageCache.verify(existing.get());
            return existing.get();
        }
        try (LockFile lock = cache.lock(m.key())) {
            existing = cache.find(m.key());
            if (existing.isPresent()) return existing.get();
            Path work = cache.root().resolve(".pull-" + m.key());
            SafeDelete.deleteTree(work);
            Files.createDirectories(work);
            try {
                int i = 0;
                for (Map.Entry<String, ImageManifest.FileEntry> f : new java.util.TreeMap<>(m.files()).entrySet()) {
                    String what = "Fetching " + f.getKey() + " (" + Sizes.human(f.getValue().size()) + ") and checking it";
                    progress.stepStarted(++i, FILES.size(), what);
                    long t0 = System.nanoTime();
                    try (InputStream in = src.open(f.getKey())) {
                        copyChecked(in, work.resolve(f.getKey()), f.getKey(), f.getValue());
                    }
                    progress.stepFinished(i, FILES.size(), what, (System.nanoTime() - t0) / 1_000_000);
                }
                Files.write(work.resolve(ApplianceImage.MANIFEST), manifestBytes);
                cache.publish(work, m.key());
            } catch (IOException | BuildException | RuntimeException e) {
                SafeDelete.deleteTree(work);
                throw e;
            }
        }
        return cache.find(m.key()).orElseThrow();
    }

    private static void checkManifest(ImageManifest m, String source) throws BuildException {
        String hint = "point at a directory made by mosvm image export";
        if (m.key() == null || !KEY.matcher(m.key()).matches()) throw new BuildException("the manifest at " + source + " has no valid image key", hint);
        if (m.files() == null || !m.files().keySet().equals(FILES)) {
            throw new BuildException("the manifest at " + source + " names files " + (m.files() == null ? "none" : m.files().keySet())
                    + ", not an image's " + FILES, hint);
        }
        for (Map.Entry<String, ImageManifest.FileEntry> f : m.files().entrySet()) {
            ImageManifest.FileEntry e = f.getValue();
            if (e == null || e.size() < 0 || e.sha256() == null || !e.sha256().matches("[0-9a-f]{64}")) {
                throw new BuildException("the manifest at " + source + " gives no valid size and SHA-256 for " + f.getKey(), hint);
            }
        }
    }

    /** Writes {@code in} to {@code to}, refusing more bytes than the manifest says and any other content. */
    private static void copyChecked(InputStream in, Path to, String name, ImageManifest.FileEntry expected) throws IOException, BuildException {
        MessageDigest md = CacheKey.sha256();
        long total = 0;
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(to)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > expected.size()) throw new BuildException(name + " is larger than its manifest's " + expected.size() + " bytes", "the source is not that image");
                md.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        String sha = HexFormat.of().formatHex(md.digest());
        if (total != expected.size() || !sha.equals(expected.sha256())) {
            throw new BuildException(name + " does not match its manifest (" + total + " bytes, SHA-256 " + sha.substring(0, 12) + "…)",
                    "the source is damaged or not that image; nothing was kept");
        }
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    /** Where an image comes from: a local directory, or an http(s) URL of one. */
    private interface Source {
        byte[] manifest() throws IOException, BuildException, InterruptedException;

        InputStream open(String file) throws IOException, BuildException, InterruptedException;

        static Source of(String source) throws BuildException {
            if (source.startsWith("http://") || source.startsWith("https://")) return new Http(URI.create(source.endsWith("/") ? source : source + "/"));
            if (source.contains("://")) throw new BuildException("cannot pull from " + source, "give a directory, or an http(s) URL");
            Path dir = Path.of(source);
            if (!Files.isDirectory(dir)) throw new BuildException("no directory " + source, "give the directory mosvm image export made, or its URL");
            return new Local(dir);
        }
    }

    private record Local(Path dir) implements Source {
        @Override
        public byte[] manifest() throws IOException, BuildException {
            Path m = dir.resolve(ApplianceImage.MANIFEST);
            if (!Files.isRegularFile(m)) throw new BuildException("no " + ApplianceImage.MANIFEST + " in " + dir, "give the directory mosvm image export made");
            if (Files.size(m) > MAX_MANIFEST_BYTES) throw new BuildException(m + " is too large to be a manifest", "give the directory mosvm image export made");
            return Files.readAllBytes(m);
        }

        @Override
        public InputStream open(String file) throws IOException {
            return Files.newInputStream(dir.resolve(file));
        }
    }

    private record Http(URI base) implements Source {
        private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NORMAL).build();

        @Override
        public byte[] manifest() throws IOException, BuildException, InterruptedException {
            try (InputStream in = open(ApplianceImage.MANIFEST)) {
                byte[] b = in.readNBytes(MAX_MANIFEST_BYTES + 1);
                if (b.length > MAX_MANIFEST_BYTES) throw new BuildException(base + " sends too much to be a manifest", "give the URL of a directory made by mosvm image export");
                return b;
            }
        }

        @Override
        public InputStream open(String file) throws IOException, BuildException, InterruptedException {
            URI u = base.resolve(file);
            HttpResponse<InputStream> r;
            try {
                r = CLIENT.send(HttpRequest.newBuilder(u).timeout(Duration.ofMinutes(30)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new BuildException("cannot fetch " + u + ": " + e.getMessage(), "is the URL right and the server up?");
            }
            if (r.statusCode() != 200) {
                r.body().close();
                throw new BuildException("cannot fetch " + u + ": HTTP " + r.statusCode(), "is the URL right?");
            }
            return r.body();
        }
    }
}

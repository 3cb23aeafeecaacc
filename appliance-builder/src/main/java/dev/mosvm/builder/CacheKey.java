package dev.mosvm.builder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The image cache key: a content digest of everything that goes into the image (recipe
 * text, the files tree, the agent jar's entries, the builder's own format version). File
 * times never enter it, so a rebuilt but unchanged agent jar still hits the cache.
 */
public final class CacheKey {
    /** Bump when the builder changes what it produces from the same inputs. */
    static final int BUILDER_FORMAT = 2;

    private CacheKey() {}

    public static String compute(Path recipeFile, Recipe recipe, Path agentJar) throws IOException {
        MessageDigest md = sha256();
        update(md, "format:" + BUILDER_FORMAT);
        update(md, "recipe");
        md.update(Files.readAllBytes(recipeFile));
        if (recipe.files() != null) {
            Path tree = recipeFile.toAbsolutePath().getParent().resolve(recipe.files());
            List<Path> files;
            try (Stream<Path> s = Files.walk(tree)) {
                files = new ArrayList<>(s.filter(Files::isRegularFile).sorted().toList());
            }
            for (Path f : files) {
                update(md, "file:" + tree.relativize(f).toString().replace('\\', '/'));
                md.update(Files.readAllBytes(f));
            }
        }
        update(md, "agent");
        try (ZipFile zip = new ZipFile(agentJar.toFile())) {
            List<? extends ZipEntry> entries = zip.stream().sorted(Comparator.comparing(ZipEntry::getName)).toList();
            byte[] buf = new byte[65536];
            for (ZipEntry e : entries) {
                update(md, "entry:" + e.getName());
                try (InputStream in = zip.getInputStream(e)) {
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    private static void update(MessageDigest md, String tag) {
        md.update(tag.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

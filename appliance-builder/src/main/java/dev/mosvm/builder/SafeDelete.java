package dev.mosvm.builder;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Deletes a build directory. A root filesystem under construction may still have /proc or
 * /dev mounted inside it if a build was killed; deleting through such a mount would delete
 * the host's files, so mounts are unmounted first and deletion refuses if any remain.
 */
public final class SafeDelete {
    private SafeDelete() {}

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        Path abs = dir.toAbsolutePath().normalize();
        List<String> mounts = mountsUnder(abs);
        if (!mounts.isEmpty()) {
            for (int i = mounts.size() - 1; i >= 0; i--) {
                try {
                    ProcessRunner.run(List.of("umount", "-l", mounts.get(i)), l -> {});
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!mountsUnder(abs).isEmpty()) {
                throw new IOException("refusing to delete " + abs + ": file systems are still mounted under it");
            }
        }
        Files.walkFileTree(abs, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static List<String> mountsUnder(Path abs) throws IOException {
        Path mountinfo = Path.of("/proc/self/mounts");
        if (!Files.isReadable(mountinfo)) return List.of();
        String prefix = abs.toString() + "/";
        return Files.readAllLines(mountinfo).stream()
                .map(l -> l.split(" ")[1].replace("\\040", " "))
                .filter(m -> m.startsWith(prefix) || m.equals(abs.toString()))
                .toList();
    }
}

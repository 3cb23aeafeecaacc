package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Where migration images are staged: a tmpfs of its own, so pages go from memory to the
 * network and back to memory without touching a disk, and big jobs are not limited by /run's
 * small share of RAM. tmpfs takes memory only for what is in it.
 */
public final class ImageScratch {
    private ImageScratch() {}

    public static Path mount(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (Files.readString(Path.of("/proc/mounts")).contains(" " + dir + " tmpfs ")) return dir;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "mode=0700,size=80%", "mosvm-images", dir.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("cannot mount a tmpfs on " + dir + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        return dir;
    }
}

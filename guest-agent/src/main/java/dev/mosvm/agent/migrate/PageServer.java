package dev.mosvm.agent.migrate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CRIU page server on the target for one image round: the source's {@code criu pre-dump} or
 * {@code dump} writes the job's memory straight into it over one sealed connection
 * ({@link PageLink}), so pages never pass through the agent's JVM. It serves that one
 * connection, from the source's address only, and exits.
 */
final class PageServer implements AutoCloseable {
    private static final String LINK_LOG = "pagelink.log";
    private final Process process;
    private final Path dir;
    final int port;

    private PageServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts a page server writing into {@code dir}, and returns once it listens (its port known). */
    /** @param keys the round's keys; null for a plain stream (a pool founded with --page-streams plain) */
    static PageServer start(Path dir, InetAddress self, InetAddress source, PageStreamKeys keys) throws IOException {
        List<String> cmd = PageLink.pageServer(self, source, List.of("page-server", "-D", dir.toString(), "-o", "page-server.log"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve(LINK_LOG).toFile())).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(PageLink.targetLine(keys).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // it ended at once: its log says why
        }
        // mosvm-pagelink prints the port it listens on, then nothing more on standard output
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        if (line == null || !line.matches("[0-9]{1,5}")) {
            p.destroyForcibly();
            throw new IOException("the page server did not start: " + reason(dir, "no port"));
        }
        return new PageServer(p, dir, Integer.parseInt(line));
    }

    /** Waits (a minute at most, and no longer than {@code limitMillis}) for the page server to finish its one connection; throws unless it ended well. */
    void finish(long limitMillis) throws IOException {
        try {
            if (!process.waitFor(Math.max(1, Math.min(60_000, limitMillis)), TimeUnit.MILLISECONDS)) throw new IOException("the page server did not finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (process.exitValue() != 0) throw new IOException("page server: " + reason(dir, "failed"));
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** CRIU's first error, else what mosvm-pagelink said (it fails before CRIU runs). */
    private static String reason(Path dir, String fallback) {
        String link = fallback;
        try {
            Path log = dir.resolve(LINK_LOG);
            if (Files.exists(log)) {
                List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
                if (!lines.isEmpty()) link = lines.get(lines.size() - 1);
            }
        } catch (IOException e) {
            // keep the fallback
        }
        return Criu.firstError(dir.resolve("page-server.log"), link);
    }
}

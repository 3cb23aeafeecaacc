package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A CRIU page server on the target for one image round: the source's {@code criu pre-dump} or
 * {@code dump} writes the job's memory straight into it over TLS, natively, so pages never
 * pass through the agent's JVM. It serves one connection and exits.
 */
final class PageServer implements AutoCloseable {
    private final Process process;
    private final Path dir;
    final int port;

    private PageServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts a page server writing into {@code dir}, and returns once it listens. */
    static PageServer start(Path dir, InetAddress address, List<String> tls) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, address)) {
            port = probe.getLocalPort(); // a free port; criu binds it a moment later
        }
        List<String> cmd = new ArrayList<>(List.of("criu", "page-server", "-D", dir.toString(), "--address", address.getHostAddress(),
                "--port", String.valueOf(port), "-o", "page-server.log"));
        cmd.addAll(tls);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        PageServer server = new PageServer(p, dir, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!listening(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IOException("the page server did not start: " + Criu.firstError(dir.resolve("page-server.log"), "no log"));
            }
            sleep(10);
        }
        return server;
    }

    /** Waits for the page server to finish its one connection; throws unless it ended well. */
    void finish() throws IOException {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) throw new IOException("the page server did not finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (process.exitValue() != 0) throw new IOException("page server: " + Criu.firstError(dir.resolve("page-server.log"), "failed"));
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** Whether a TCP socket listens on {@code port} (read from /proc: a probe connection would use up the server). */
    static boolean listening(int port) throws IOException {
        String hex = String.format(Locale.ROOT, ":%04X ", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (!Files.exists(t)) continue;
            for (String line : Files.readAllLines(t)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && (f[1] + " ").endsWith(hex) && f[3].equals("0A")) return true;
            }
        }
        return false;
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}

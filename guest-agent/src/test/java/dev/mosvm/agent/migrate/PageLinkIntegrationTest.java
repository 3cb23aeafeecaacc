package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.NativeTools;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * mosvm-pagelink itself, built with the host's gcc and libcrypto as the image build builds it
 * and run on loopback: what one end's command writes reaches the other's intact; a stream that
 * is tampered with, or sealed with other keys, is cut, not delivered; strangers are turned away.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PageLinkIntegrationTest {
    @TempDir Path dir;
    Path tool;

    @BeforeAll
    void build() throws Exception {
        tool = NativeTools.compile("mosvm-pagelink", Files.createTempDirectory("mosvm-pagelink"));
    }

    @AfterAll
    void clean() throws Exception {
        Files.deleteIfExists(tool);
        Files.deleteIfExists(tool.getParent());
    }

    @Test
    void bytesCrossIntactAndEachEndExitsWithItsCommand() throws Exception {
        byte[] data = input(12 << 20);
        PageStreamKeys keys = PageStreamKeys.fresh();
        Process target = listen(keys.targetLine(), "cat <&3 > " + dir.resolve("out") + "; printf answer >&3; exit 5");
        Process source = start(keys.sourceLine(), "connect", "127.0.0.1", String.valueOf(port(target)), "--", "sh", "-c",
                "cat " + dir.resolve("in") + " >&3; exec 3>&-; exit 0");
        // the source's command closes its end once written: its helper ends the stream with an empty record
        assertEquals(0, source.waitFor(), err(source));
        assertEquals(5, target.waitFor(), err(target));
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("out")));
    }

    @Test
    void aTamperedRecordCutsTheStreamInsteadOfReachingCriu() throws Exception {
        input(1 << 20);
        PageStreamKeys keys = PageStreamKeys.fresh();
        Process target = listen(keys.targetLine(), "cat <&3 > " + dir.resolve("out"));
        try (ServerSocket proxy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread relay = new Thread(() -> flipOneByte(proxy, port(target), 100_000));
            relay.start();
            Process source = start(keys.sourceLine(), "connect", "127.0.0.1", String.valueOf(proxy.getLocalPort()), "--", "sh", "-c",
                    "cat " + dir.resolve("in") + " >&3");
            source.waitFor(30, TimeUnit.SECONDS);
            assertTrue(target.waitFor(30, TimeUnit.SECONDS));
            relay.join(10_000);
        }
        assertTrue(err(target).contains("a record failed authentication"), err(target));
        assertTrue(Files.size(dir.resolve("out")) < 100_000, "nothing from the tampered record on was delivered");
    }

    @Test
    void aStreamSealedWithOtherKeysDeliversNothing() throws Exception {
        Process target = listen(PageStreamKeys.fresh().targetLine(), "cat <&3 > " + dir.resolve("out"));
        Process source = start(PageStreamKeys.fresh().sourceLine(), "connect", "127.0.0.1", String.valueOf(port(target)), "--", "sh", "-c",
                "echo secret >&3");
        source.waitFor(30, TimeUnit.SECONDS);
        assertTrue(target.waitFor(30, TimeUnit.SECONDS));
        assertTrue(err(target).contains("a record failed authentication"), err(target));
        assertEquals(0, Files.size(dir.resolve("out")));
    }

    @Test
    void aPlainStreamGivesTheCommandTheConnectionItself() throws Exception {
        byte[] data = input(4 << 20);
        Process target = listen("plain\n", "cat <&3 > " + dir.resolve("out") + "; exit 7");
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port(target))) {
            raw.getOutputStream().write(data); // no records, no cipher: what CRIU would write, as is
            raw.shutdownOutput();
            assertEquals(7, target.waitFor(), err(target));
        }
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("out")));
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Process source = start("plain\n", "connect", "127.0.0.1", String.valueOf(server.getLocalPort()), "--", "sh", "-c",
                    "cat " + dir.resolve("in") + " >&3");
            try (Socket s = server.accept()) {
                assertArrayEquals(data, s.getInputStream().readAllBytes());
            }
            assertEquals(0, source.waitFor(), err(source));
        }
    }

    @Test
    void refusesKeysThatAreNotHex() throws Exception {
        Process p = start("xyz\n", "connect", "127.0.0.1", "1", "--", "true");
        assertEquals(1, p.waitFor());
        assertTrue(err(p).startsWith("mosvm-pagelink: keys must be"), err(p));
    }

    @Test
    void theListeningEndClosesConnectionsFromAnyoneButThePeer() throws Exception {
        Process p = start(PageStreamKeys.fresh().targetLine(), "listen", "127.0.0.1", "127.0.0.2", "--", "true");
        try {
            int port = port(p);
            try (Socket stranger = new Socket()) {
                stranger.bind(new InetSocketAddress("127.0.0.1", 0));
                stranger.connect(new InetSocketAddress("127.0.0.1", port));
                assertEquals(-1, stranger.getInputStream().read(), "closed without a byte");
            }
            assertTrue(p.isAlive(), "still waiting for its peer");
            assertTrue(err(p).contains("closed a connection from 127.0.0.1 (waiting for 127.0.0.2)"), err(p));
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Random bytes, also written to the file "in". */
    byte[] input(int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Files.write(dir.resolve("in"), data);
        return data;
    }

    Process listen(String keys, String script) throws Exception {
        return start(keys, "listen", "127.0.0.1", "127.0.0.1", "--", "sh", "-c", script);
    }

    /** Starts the tool with {@code keys} on its stdin; its stderr goes to a file of its own. */
    Process start(String keys, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(tool.toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        errors.put(p, err);
        try (OutputStream in = p.getOutputStream()) {
            in.write(keys.getBytes(StandardCharsets.US_ASCII));
        }
        return p;
    }

    final java.util.Map<Process, Path> errors = new java.util.HashMap<>();

    String err(Process p) throws Exception {
        return Files.readString(errors.get(p));
    }

    /** The port a listening end printed. */
    final java.util.Map<Process, Integer> ports = new java.util.HashMap<>();

    int port(Process listening) {
        return ports.computeIfAbsent(listening, p -> {
            try {
                return Integer.parseInt(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine());
            } catch (Exception e) {
                throw new AssertionError("no port from the listening end", e);
            }
        });
    }

    /** Accepts one connection and forwards it to {@code port}, with byte number {@code at} inverted. */
    static void flipOneByte(ServerSocket proxy, int port, int at) {
        try (Socket in = proxy.accept(); Socket out = new Socket(InetAddress.getLoopbackAddress(), port)) {
            InputStream src = in.getInputStream();
            OutputStream dst = out.getOutputStream();
            byte[] buf = new byte[8192];
            long seen = 0;
            for (int n; (n = src.read(buf)) > 0; seen += n) {
                if (seen <= at && at < seen + n) buf[(int) (at - seen)] ^= (byte) 0xff;
                dst.write(buf, 0, n);
            }
        } catch (Exception e) {
            // the target cut the stream: expected
        }
    }
}

package dev.mosvm.manager.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QMP as qapi/control.json describes it, played by a fake QEMU on a Unix socket. */
class QmpClientTest {
    @TempDir Path dir;
    final List<String> received = new ArrayList<>();

    /** A fake QEMU: greets (unless silent), then answers each line with the next of {@code replies}. */
    CompletableFuture<Void> serve(Path socket, boolean greet, List<String> replies) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return CompletableFuture.runAsync(() -> {
            try (server; SocketChannel ch = server.accept()) {
                OutputStream out = Channels.newOutputStream(ch);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
                if (!greet) {
                    Thread.sleep(3000);
                    return;
                }
                out.write("{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": [\"oob\"]}}\n".getBytes(StandardCharsets.UTF_8));
                for (String reply : replies) {
                    String line = in.readLine();
                    if (line == null) return;
                    synchronized (received) {
                        received.add(line);
                    }
                    out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (Exception e) {
                // the client hung up
            }
        });
    }

    @Test
    void handshakeThenCommandsSkippingEventsAndErrorsAsExceptions() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        CompletableFuture<Void> fake = serve(sock, true, List.of("{\"return\": {}}",
                "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1}}\n{\"return\": {\"status\": \"running\", \"running\": true}}",
                "{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"No balloon device has been activated\"}}"));
        try (QmpClient q = QmpClient.open(QemuCommandLine.Control.unix(sock), Duration.ofSeconds(5))) {
            assertEquals("running", q.execute("query-status", null).get("status").asText());
            QmpClient.QmpError e = assertThrows(QmpClient.QmpError.class, () -> q.execute("balloon", Map.of("value", 268435456L)));
            assertEquals("DeviceNotActive", e.errorClass);
            assertTrue(e.getMessage().startsWith("No balloon device has been activated"), e.getMessage());
        }
        fake.join();
        assertEquals(List.of("{\"execute\":\"qmp_capabilities\"}", "{\"execute\":\"query-status\"}",
                "{\"execute\":\"balloon\",\"arguments\":{\"value\":268435456}}"), received);
    }

    @Test
    void aQemuThatNeverGreetsIsGivenUpOnInTime() throws Exception {
        Path sock = dir.resolve("silent.sock");
        serve(sock, false, List.of());
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> QmpClient.open(QemuCommandLine.Control.unix(sock), Duration.ofMillis(500)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2500, "gave up after " + ms + " ms");
        assertTrue(e.getMessage().contains("did not answer") || e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void noSocketIsAnIoError() {
        assertThrows(IOException.class, () -> QmpClient.open(QemuCommandLine.Control.unix(dir.resolve("none.sock")), Duration.ofSeconds(1)));
    }
}

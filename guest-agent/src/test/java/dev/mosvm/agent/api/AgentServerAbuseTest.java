package dev.mosvm.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.AgentProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HTTPS API as a client writing HTTP by hand sees it: a request without the secret is
 * answered 401 and its body is never read (the connection closes instead), while requests with
 * the secret keep their connection for the next.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServerAbuseTest {
    LoopbackAgent agent;

    @BeforeAll
    void start() throws Exception {
        agent = LoopbackAgent.start("abuse");
    }

    @AfterAll
    void stop() {
        agent.close();
    }

    /** The status line, headers and body of one response (Content-Length framed), or null at the end of the stream. */
    static String response(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            if ((c = in.read()) < 0) return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
            head.write(c);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int length = h.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .mapToInt(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
        return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void aRequestWithoutTheSecretIsRefusedWithoutItsBodyBeingRead() throws Exception {
        try (SSLSocket s = agent.rawConnection()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            // ten megabytes declared, a hundred bytes sent: a server that read the body would wait for the rest
            out.write(("POST " + AgentProtocol.POOL_INIT + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + "x".repeat(100))
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long t0 = System.nanoTime();
            String r = response(s.getInputStream());
            assertTrue(r.startsWith("HTTP/1.1 401"), r);
            assertEquals(null, response(s.getInputStream()), "then the connection closes");
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "at once");
        }
        assertTrue(agent.server.refusals() >= 1);
    }

    @Test
    void requestsWithTheSecretShareOneConnection() throws Exception {
        try (SSLSocket s = agent.rawConnection()) {
            s.setSoTimeout(10_000);
            String get = "GET " + AgentProtocol.FACTS + " HTTP/1.1\r\nHost: x\r\n" + AgentProtocol.AUTH_HEADER + ": " + AgentProtocol.BEARER
                    + agent.config.secret() + "\r\n\r\n";
            for (int i = 0; i < 3; i++) {
                s.getOutputStream().write(get.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                String r = response(s.getInputStream());
                assertTrue(r != null && r.startsWith("HTTP/1.1 200") && r.contains("\"node\":\"abuse\""), "request " + (i + 1) + ": " + r);
            }
        }
    }
}

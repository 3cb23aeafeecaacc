package dev.mosvm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a small HTTPS server on loopback that plays an agent: the certificate
 * pinned (another is refused before anything is sent), the secret as bearer token, the job
 * endpoints' requests and answers, and refusals with the agent's reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentClientTest {
    static final String SECRET = "s3cret";
    static final JobView JOB = new JobView("a.1", 0, "root", "a", "b", "RUNNING", List.of("sleep", "60"), "2026-12-04T12:00:00Z",
            1.5, 2048, 1, false, List.of(), "moved", "asked by a user", 1.5, true, null, 0);
    static final CheckpointRecord TAKEN = new CheckpointRecord("a.1", 2, "/pool/a/.mosvm-checkpoints/a.1/2", "2026-12-04T12:00:02Z", "b",
            1 << 20, 1, 3 << 20, 200, 5);
    static final MigrationRecord MOVED = new MigrationRecord("a", "b", "2026-12-04T12:00:01Z", 0, 80, 300, 1 << 20, "moved", null, 1.5, "plain");

    @TempDir static Path dir;
    HttpsServer server;
    X509Certificate cert;
    /** The last request to each path as the server saw it. */
    final Map<String, Received> received = new ConcurrentHashMap<>();
    final CountDownLatch slowMoveMayEnd = new CountDownLatch(1);

    record Received(String authorization, String body) {}

    record Reply(int status, String body) {}

    interface Action {
        Reply answer(String body) throws Exception;
    }

    @BeforeAll
    void start() throws Exception {
        KeyStore ks = keyStore(dir, "agent");
        cert = (X509Certificate) ks.getCertificate("agent");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "password".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext(AgentProtocol.JOBS, endpoint(body -> new Reply(200, Json.MAPPER.writeValueAsString(List.of(JOB)))));
        server.createContext(AgentProtocol.MIGRATE, endpoint(body -> {
            MigrationRequest r = Json.MAPPER.readValue(body, MigrationRequest.class);
            if (r.node().equals("slow")) slowMoveMayEnd.await(30, TimeUnit.SECONDS);
            return r.node().equals("b") || r.node().equals("slow") ? new Reply(200, Json.MAPPER.writeValueAsString(MOVED))
                    : new Reply(409, "{\"error\":\"no live node named '" + r.node() + "' in the pool\"}");
        }));
        server.createContext(AgentProtocol.CHECKPOINT, endpoint(body -> new Reply(200, Json.MAPPER.writeValueAsString(TAKEN))));
        server.createContext(AgentProtocol.FACTS, endpoint(body -> new Reply(503, "busy")));
        server.start();
    }

    @AfterAll
    void stop() {
        slowMoveMayEnd.countDown();
        server.stop(0);
    }

    /** An endpoint as the agent's: 401 without the secret (as its authenticator answers), else what {@code action} says. */
    HttpHandler endpoint(Action action) {
        return ex -> {
            String auth = ex.getRequestHeaders().getFirst(AgentProtocol.AUTH_HEADER);
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.put(ex.getRequestURI().getPath(), new Received(auth, body));
            Reply r;
            try {
                r = (AgentProtocol.BEARER + SECRET).equals(auth) ? action.answer(body) : new Reply(401, "");
            } catch (Exception e) {
                r = new Reply(500, String.valueOf(e));
            }
            byte[] b = r.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(r.status(), b.length == 0 ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        };
    }

    /** A PKCS#12 key pair with a self-signed certificate, from the JDK's keytool. */
    static KeyStore keyStore(Path dir, String alias) throws Exception {
        Path p12 = dir.resolve(alias + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "password", "-alias", alias,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + alias, "-validity", "2")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), "keytool: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(p12)) {
            ks.load(in, "password".toCharArray());
        }
        return ks;
    }

    AgentClient client(X509Certificate pinned, String secret, Duration timeout) {
        return new AgentClient("127.0.0.1", server.getAddress().getPort(), pinned, secret, timeout);
    }

    AgentClient client() {
        return client(cert, SECRET, Duration.ofSeconds(10));
    }

    @Test
    void theJobListWithTheSecret() throws Exception {
        assertEquals(List.of(JOB), client().jobs());
        assertEquals(AgentProtocol.BEARER + SECRET, received.get(AgentProtocol.JOBS).authorization());
    }

    @Test
    void aMoveSendsItsRequestAsJsonAndReadsTheRecord() throws Exception {
        MigrationRecord m = client().migrate(new MigrationRequest("a.1", "b", MigrationMode.USHER), Duration.ofSeconds(10));
        assertEquals(MOVED, m);
        assertEquals(new MigrationRequest("a.1", "b", MigrationMode.USHER),
                Json.MAPPER.readValue(received.get(AgentProtocol.MIGRATE).body(), MigrationRequest.class));
    }

    @Test
    void aCheckpointSendsTheJobAndReadsItsRecord() throws Exception {
        assertEquals(TAKEN, client().checkpoint("a.1", Duration.ofSeconds(10)));
        assertEquals("{\"job\":\"a.1\"}", received.get(AgentProtocol.CHECKPOINT).body());
        assertEquals(AgentProtocol.BEARER + SECRET, received.get(AgentProtocol.CHECKPOINT).authorization());
    }

    @Test
    void aRefusalCarriesTheAgentsReason() {
        AgentException e = assertThrows(AgentException.class,
                () -> client().migrate(new MigrationRequest("a.1", "zz", null), Duration.ofSeconds(10)));
        assertEquals(409, e.status());
        assertEquals("no live node named 'zz' in the pool", e.reason());
        assertTrue(e.getMessage().startsWith("agent refused POST /v1/migrate: HTTP 409 "), e.getMessage());
        AgentException plain = assertThrows(AgentException.class, () -> client().facts());
        assertEquals(503, plain.status());
        assertNull(plain.reason(), "an answer without a JSON error has no reason");
    }

    @Test
    void withoutTheSecretTheAgentRefuses() {
        AgentException e = assertThrows(AgentException.class, () -> client(cert, null, Duration.ofSeconds(10)).jobs());
        assertTrue(e.unauthorized());
        assertNull(received.get(AgentProtocol.JOBS).authorization(), "no credentials were sent");
    }

    @Test
    void anotherCertificateIsNotTrusted() throws Exception {
        X509Certificate other = (X509Certificate) keyStore(dir, "impostor").getCertificate("impostor");
        AgentException e = assertThrows(AgentException.class, () -> client(other, SECRET, Duration.ofSeconds(10)).jobs());
        assertEquals(-1, e.status());
        assertTrue(e.getMessage().contains("does not match the one pinned"), e.getMessage());
    }

    @Test
    void aMoveMayTakeLongerThanTheClientsOtherRequests() throws Exception {
        AgentClient quick = client(cert, SECRET, Duration.ofMillis(300));
        var move = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return quick.migrate(new MigrationRequest("a.1", "slow", null), Duration.ofSeconds(30));
            } catch (AgentException e) {
                throw new IllegalStateException(e);
            }
        });
        // the move is held until well past the client's own timeout
        assertThrows(java.util.concurrent.TimeoutException.class, () -> move.get(1, TimeUnit.SECONDS));
        slowMoveMayEnd.countDown();
        assertEquals(MOVED, move.get(20, TimeUnit.SECONDS));
    }
}

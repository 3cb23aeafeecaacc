package dev.mosvm.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.node.PowerControl;
import dev.mosvm.agent.pool.Membership;
import dev.mosvm.api.AgentClient;
import dev.mosvm.api.GuestConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * The agent's HTTPS server in this JVM on a free port, with a TLS identity of its own (made by
 * the JDK's keytool, as the host's GuestIdentity makes one per instance), outside any pool, and
 * clients that pin its certificate as the host does.
 */
public final class LoopbackAgent implements AutoCloseable {
    public final GuestConfig config;
    public final AgentServer server;
    private final X509Certificate certificate;

    private LoopbackAgent(GuestConfig config, AgentServer server, X509Certificate certificate) {
        this.config = config;
        this.server = server;
        this.certificate = certificate;
    }

    public static LoopbackAgent start(String node) throws Exception {
        GuestConfig cfg = identity(node);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(Base64.getDecoder().decode(cfg.tlsKeystoreBase64())), cfg.tlsKeystorePassword().toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate(ks.aliases().nextElement());
        dev.mosvm.agent.identity.NodeIdentity identity = dev.mosvm.agent.identity.NodeIdentity.ephemeral();
        FactsCollector facts = new FactsCollector(node, () -> 1.0, identity.publicKeyBase64());
        Path noPool = Files.createTempDirectory("mosvm-api").resolve("pool.json");
        AgentServer server = new AgentServer(cfg, 0, facts, new PowerControl(List.of("true")), Membership.start(noPool, facts, null, identity, null));
        Files.delete(noPool.getParent());
        server.start();
        return new LoopbackAgent(cfg, server, cert);
    }

    /** A client as the host makes one: this agent's certificate pinned, and the secret if {@code withSecret}. */
    public AgentClient client(boolean withSecret) {
        return new AgentClient("127.0.0.1", server.port(), certificate, withSecret ? config.secret() : null, Duration.ofSeconds(10));
    }

    /** A TLS connection to this agent, its certificate pinned, for tests that write HTTP by hand. */
    public javax.net.ssl.SSLSocket rawConnection() throws java.io.IOException {
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) new dev.mosvm.api.PinnedCertificateTrust(certificate).sslContext()
                .getSocketFactory().createSocket("127.0.0.1", server.port());
        s.startHandshake();
        return s;
    }

    /** A PKCS#12 key and self-signed certificate from keytool, and a random secret. */
    private static GuestConfig identity(String node) throws Exception {
        Path dir = Files.createTempDirectory("mosvm-identity");
        Path p12 = dir.resolve("agent.p12");
        String password = UUID.randomUUID().toString();
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", password, "-alias", "agent",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + node, "-validity", "2")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), "keytool: " + out);
        byte[] keystore = Files.readAllBytes(p12);
        Files.delete(p12);
        Files.delete(dir);
        return new GuestConfig(node, UUID.randomUUID().toString(), Base64.getEncoder().encodeToString(keystore), password);
    }

    @Override
    public void close() {
        server.stop();
    }
}

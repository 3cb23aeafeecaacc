package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.Json;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.manager.LocalAgents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent jar, run as a process on this host with credentials from
 * {@link GuestIdentity}, talking to the real {@link AgentClient}: the secret and the pinned
 * certificate are both enforced. An integration test: it needs the packaged agent jar and a
 * loopback port.
 */
@Tag("integration")
class AgentAuthenticationIntegrationTest {
    @TempDir static Path dir;
    static Process agent;
    static int port;
    static GuestIdentity id;

    @BeforeAll
    static void startAgent() throws Exception {
        id = GuestIdentity.generate("unit");
        Path cfg = dir.resolve("guest-config.json");
        Files.writeString(cfg, Json.MAPPER.writeValueAsString(id.guestConfig()));
        port = LocalAgents.freeTcp();
        Path jar = Path.of(System.getProperty("mosvm.agentJar", "../guest-agent/target/mosvm-agent.jar"));
        assertTrue(Files.isRegularFile(jar), "agent jar missing: " + jar);
        agent = new ProcessBuilder("java", "-Djava.io.tmpdir=" + dir, "-jar", jar.toString(), "serve", "--config", cfg.toString(),
                "--port", String.valueOf(port), "--speed-budget-ms", "50", "--poweroff-command", "true")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.readString(dir.resolve("agent.log")).contains("mosvm-agent: ready")) {
            assertTrue(agent.isAlive(), () -> "agent died: " + read("agent.log"));
            assertTrue(System.currentTimeMillis() < deadline, "agent not ready in 30 s");
            Thread.sleep(100);
        }
    }

    static String read(String f) {
        try {
            return Files.readString(dir.resolve(f));
        } catch (Exception e) {
            return e.toString();
        }
    }

    @AfterAll
    static void stopAgent() {
        if (agent != null) agent.destroyForcibly();
    }

    AgentClient client(String secret, String certPem) {
        return new AgentClient("127.0.0.1", port, PinnedCertificateTrust.parsePem(certPem), secret, Duration.ofSeconds(5));
    }

    @Test
    void factsWithTheSecret() throws Exception {
        AgentFacts f = client(id.guestConfig().secret(), id.certificatePem()).facts();
        assertEquals("unit", f.node());
        assertEquals(Runtime.getRuntime().availableProcessors(), f.cpus());
        assertTrue(f.memTotalKb() > 0 && f.memAvailableKb() > 0 && f.memAvailableKb() <= f.memTotalKb());
        assertTrue(f.speed() > 0);
        assertTrue(f.agentRssKb() > 0);
        assertEquals(3, f.loadAverage().length);
    }

    @Test
    void refusedWithoutOrWithAWrongSecret() {
        AgentException none = assertThrows(AgentException.class, () -> client(null, id.certificatePem()).facts());
        assertEquals(401, none.status());
        AgentException wrong = assertThrows(AgentException.class,
                () -> client(id.guestConfig().secret() + "x", id.certificatePem()).facts());
        assertEquals(401, wrong.status());
        assertThrows(AgentException.class, () -> client(null, id.certificatePem()).shutdown());
        assertTrue(read("agent.log").contains("refused GET /v1/facts"), "refusals are logged");
    }

    @Test
    void refusalsAreAnsweredNotDropped() {
        AgentException join = assertThrows(AgentException.class,
                () -> client(null, id.certificatePem()).join(new dev.mosvm.api.JoinRequest("not-the-token", "x", null)));
        assertEquals(403, join.status(), "a join needs the token's secret, and says so");
        assertTrue(join.getMessage().contains("wrong, used up, revoked or has expired"), join.getMessage());
        // an invalid name is refused before anything is written
        AgentException init = assertThrows(AgentException.class,
                () -> client(id.guestConfig().secret(), id.certificatePem()).initPool(new dev.mosvm.api.PoolInitRequest("Bad Name", 60, 0, 0)));
        assertEquals(409, init.status());
    }

    @Test
    void anAgentWithAnotherCertificateIsNotTrusted() {
        String otherCert = GuestIdentity.generate("other").certificatePem();
        AgentException e = assertThrows(AgentException.class, () -> client(id.guestConfig().secret(), otherCert).facts());
        assertEquals(-1, e.status());
    }
}

package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * `mosrun`'s checkpoint options (-A, -N, -R), the real client built as the image build builds
 * it, against a stand-in agent on a Unix socket that records the request line: what reaches
 * the agent, and the one line and status 2 a bad value gets before any agent is asked.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MosrunOptionsTest {
    Path dir;
    Path mosrun;

    @BeforeAll
    void build() throws Exception {
        dir = Files.createTempDirectory("mosvm-mosrun");
        mosrun = NativeTools.compile("mosrun", dir);
    }

    @AfterAll
    void clean() throws IOException {
        Files.deleteIfExists(mosrun);
        Files.deleteIfExists(dir);
    }

    record Run(int exit, String out, String err) {}

    /** `mosrun ARGS` with its agent at {@code socket}. */
    Run run(Path socket, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(mosrun.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("MOSVM_JOBS_SOCKET", socket.toString());
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        String err = readAll(p.getErrorStream());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "mosrun ended");
        return new Run(p.exitValue(), out.get(), err);
    }

    static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The request line {@code mosrun ARGS} sends an agent that answers with exit status 0 at once. */
    JsonNode request(String... args) throws Exception {
        Path socket = dir.resolve("jobs.sock");
        Files.deleteIfExists(socket);
        try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            agent.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = agent.accept()) {
                    String l = JobServer.readLine(new DataInputStream(Channels.newInputStream(c)), new dev.mosvm.agent.guard.ByteBudget(1 << 20));
                    DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                    FrameCodec.write(out, Frame.u32(MessageType.EXIT, 0));
                    out.flush();
                    return l;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Run r = run(socket, args);
            assertEquals(new Run(0, "", ""), r, "the stand-in agent's exit status");
            return Json.MAPPER.readTree(line.get(10, TimeUnit.SECONDS));
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void aPeriodicallyCheckpointedJobCarriesItsIntervalAndKeepCount() throws Exception {
        JsonNode r = request("-A", "5", "-N", "4", "prog", "arg");
        assertEquals("run", r.get("op").asText());
        assertEquals(List.of("prog", "arg"), Json.MAPPER.convertValue(r.get("argv"), List.class));
        assertEquals(5, r.get("checkpointEvery").intValue());
        assertEquals(4, r.get("keepCheckpoints").intValue());
        assertFalse(r.has("restart"), r.toString());
        JsonNode glued = request("-A10080", "-N1", "prog");
        assertEquals(List.of(10080, 1), List.of(glued.get("checkpointEvery").intValue(), glued.get("keepCheckpoints").intValue()));
        JsonNode plain = request("prog");
        assertFalse(plain.has("checkpointEvery") || plain.has("keepCheckpoints"), "none unless asked for: " + plain);
    }

    @Test
    void aRestartNamesItsCheckpointAndRunsNoProgramOfItsOwn() throws Exception {
        JsonNode r = request("-R", "ca.1/3", "-r", "cb");
        assertEquals("ca.1/3", r.get("restart").asText());
        assertEquals("cb", r.get("node").asText());
        assertEquals(0, r.get("argv").size(), r.toString());
        assertEquals(JobRequest.class, Json.MAPPER.treeToValue(r, JobRequest.class).getClass(), "the agent reads it");
        JsonNode path = request("-R/pool/ca/.mosvm-checkpoints/ca.1/2", "-h", "-A", "30");
        assertEquals("/pool/ca/.mosvm-checkpoints/ca.1/2", path.get("restart").asText());
        assertTrue(path.get("startHome").asBoolean());
        assertEquals(30, path.get("checkpointEvery").intValue());
    }

    @Test
    void aBadValueIsOneLineAndStatusTwoBeforeAnyAgentIsAsked() throws Exception {
        Path none = dir.resolve("no-agent.sock");
        for (String[] args : List.of(new String[] {"-A", "0", "prog"}, new String[] {"-A", "10081", "prog"}, new String[] {"-A5x", "prog"},
                new String[] {"-A", "-1", "prog"}, new String[] {"-A", "99999999999999999999", "prog"}, new String[] {"-N", "0", "prog"},
                new String[] {"-N101", "prog"}, new String[] {"-A"}, new String[] {"-R"}, new String[] {"-R", ""})) {
            Run r = run(none, args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("mosrun: -"), r.err());
        }
        assertEquals("mosrun: -A takes minutes between checkpoints, 1 to 10080, not '0'\n", run(none, "-A", "0", "prog").err());
        assertEquals("mosrun: -N takes the number of checkpoints to keep, 1 to 100, not '101'\n", run(none, "-N101", "prog").err());
    }

    @Test
    void aRestartWithAProgramIsAUsageError() throws Exception {
        Run r = run(dir.resolve("no-agent.sock"), "-R", "ca.1", "prog");
        assertEquals(new Run(2, "", "mosrun: -R restarts a job from checkpoint ca.1: it takes no PROGRAM (prog)\n"), r);
    }

    @Test
    void theUsageNamesTheCheckpointOptions() throws Exception {
        Run r = run(dir.resolve("no-agent.sock"), "--help");
        assertEquals(0, r.exit());
        for (String option : List.of("-A MINUTES", "-N COUNT", "-R CHECKPOINT")) assertTrue(r.err().contains(option), r.err());
    }
}

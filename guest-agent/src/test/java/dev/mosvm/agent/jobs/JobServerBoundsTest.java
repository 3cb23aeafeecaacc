package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.guard.ByteBudget;
import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.WireLimits;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job socket's bounds: one user's idle connections beyond a few are closed unread, and request lines share a byte budget. */
class JobServerBoundsTest {
    static DataInputStream line(String s) {
        return new DataInputStream(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRequestLineIsReadWithinTheBudgetAndGivesItBack() throws IOException {
        ByteBudget budget = new ByteBudget(8 * 1024);
        assertEquals("{\"op\":\"list\",\"x\":\"\u00e9\"}", JobServer.readLine(line("{\"op\":\"list\",\"x\":\"\u00e9\"}\nrest"), budget));
        assertEquals(8 * 1024, budget.available(), "all given back");
        IOException big = assertThrows(IOException.class, () -> JobServer.readLine(line("x".repeat(20_000) + "\n"), budget));
        assertEquals("this node is reading too many large requests at once; try again", big.getMessage());
        assertEquals(8 * 1024, budget.available(), "given back after a refusal too");
        IOException longest = assertThrows(IOException.class,
                () -> JobServer.readLine(line("x".repeat(WireLimits.MAX_FRAME_PAYLOAD + 2) + "\n"), new ByteBudget(4L << 20)));
        assertEquals("request too long", longest.getMessage());
    }

    @Test
    void oneUsersIdleConnectionsBeyondItsShareAreClosedAtOnceAndTheOthersStillServed() throws Exception {
        Path dir = Files.createTempDirectory("mosvm-jobs-bounds");
        Path sock = dir.resolve("jobs.sock");
        List<SocketChannel> idle = new ArrayList<>();
        try (JobServer server = new JobServer(sock, new JobTable("test", null, PeerDirectory.NONE), (job, node, uid, mode) -> {
            throw new IOException("no pool here");
        }, job -> new Placement.Choice("test", "the only node"))) {
            for (int i = 0; i < ServingLimits.JOB_OPENINGS_PER_USER; i++) idle.add(connect(sock));
            try (SocketChannel over = connect(sock)) {
                assertEquals(-1, over.read(ByteBuffer.allocate(16)), "one more, sending nothing: closed by the agent, unread");
            }
            idle.remove(0).close(); // its place is freed once the agent has seen it go
            long deadline = System.currentTimeMillis() + 10_000;
            Frame f = null;
            do {
                try (SocketChannel lister = connect(sock)) {
                    lister.write(ByteBuffer.wrap("{\"op\":\"list\"}\n".getBytes(StandardCharsets.UTF_8)));
                    f = FrameCodec.read(new DataInputStream(java.nio.channels.Channels.newInputStream(lister)));
                } catch (IOException refusedStill) {
                    // closed unread: the agent has not seen the other go yet
                }
            } while (f == null && System.currentTimeMillis() < deadline);
            assertEquals(MessageType.LIST, f == null ? null : f.type(), "a place freed is a place served");
            assertTrue(f.text().startsWith("["), f.text());
        } finally {
            for (SocketChannel c : idle) c.close();
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    static SocketChannel connect(Path sock) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(sock));
        return c;
    }
}

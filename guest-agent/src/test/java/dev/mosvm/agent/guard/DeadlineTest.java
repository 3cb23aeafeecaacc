package dev.mosvm.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** A deadline closes a connection that is late, which ends a read blocked on it; one met leaves the connection alone. */
class DeadlineTest {
    @Test
    void aLateConnectionIsClosedAndItsBlockedReadEnds() throws Exception {
        try (ServerSocket server = new ServerSocket(0); Socket client = new Socket("127.0.0.1", server.getLocalPort());
             Socket served = server.accept()) {
            Deadline d = Deadline.closing(served, 200);
            long t0 = System.nanoTime();
            assertThrows(IOException.class, () -> served.getInputStream().read(), "the client sends nothing: the read ends when the socket closes");
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000, "at the deadline, not at a read timeout");
            assertTrue(d.expired());
            IOException why = assertThrows(IOException.class, () -> d.check("the handshake"));
            assertEquals("the handshake not done within 0.2 s", why.getMessage());
        }
    }

    @Test
    void aDeadlineMetLeavesTheConnectionOpen() throws Exception {
        try (ServerSocket server = new ServerSocket(0); Socket client = new Socket("127.0.0.1", server.getLocalPort());
             Socket served = server.accept()) {
            try (Deadline d = Deadline.closing(served, 100)) {
                client.getOutputStream().write(7);
                assertEquals(7, served.getInputStream().read());
                d.check("the handshake");
            }
            Thread.sleep(300); // past the cancelled deadline: the time being checked
            client.getOutputStream().write(8);
            assertEquals(8, served.getInputStream().read());
            assertFalse(served.isClosed());
        }
    }
}

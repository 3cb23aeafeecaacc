package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CriuPipeTest {
    @Test
    void unreadInputIsTakenFromAProcesssStdinPipeWithoutEverBlocking() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start(); // never reads its input
        try {
            long pid = sleeper.pid();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertEquals(0, Criu.takeUnreadPipeBytes(pid, 0).length));
            OutputStream in = sleeper.getOutputStream();
            byte[] typed = "one\ntwo\n".getBytes(StandardCharsets.UTF_8);
            in.write(typed);
            in.flush();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertArrayEquals(typed, Criu.takeUnreadPipeBytes(pid, 0)));
            in.write('x');
            in.close(); // no writer left but us: opening it must still not wait
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertArrayEquals(new byte[] {'x'}, Criu.takeUnreadPipeBytes(pid, 0)));
        } finally {
            sleeper.destroyForcibly();
        }
    }
}

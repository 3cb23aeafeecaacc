package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.NativeTools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page stream's keys and the parts of mosvm-pagelink that need no kernel TLS: the host's
 * kernel may lack the tls module, so sealed streams are tested in appliance VMs (JobsIT,
 * MigrationBenchmarkIT), where every migration goes through it.
 */
class PageLinkTest {
    @TempDir Path dir;

    @Test
    void eachEndSendsWithTheKeyTheOtherReceivesWith() {
        PageStreamKeys keys = PageStreamKeys.fresh();
        String source = keys.sourceLine().strip();
        String target = keys.targetLine().strip();
        int side = 2 * PageStreamKeys.SIDE;
        assertEquals(2 * side, source.length());
        assertEquals(source.substring(0, side), target.substring(side), "source's send key is target's receive key");
        assertEquals(source.substring(side), target.substring(0, side), "and the other way round");
        assertFalse(source.substring(0, side).equals(source.substring(side)), "the two directions have different keys");
    }

    @Test
    void keysSurviveTheWireAndAreNewEveryTime() {
        PageStreamKeys keys = PageStreamKeys.fresh();
        PageStreamKeys back = PageStreamKeys.fromWire(keys.wire());
        assertArrayEquals(keys.toTarget(), back.toTarget());
        assertArrayEquals(keys.toSource(), back.toSource());
        assertFalse(keys.wire().equals(PageStreamKeys.fresh().wire()));
        for (String bad : new String[] {null, "", "00", keys.wire() + "0", keys.wire().toUpperCase().replace('0', 'G')}) {
            assertThrows(IllegalArgumentException.class, () -> PageStreamKeys.fromWire(bad), String.valueOf(bad));
        }
    }

    @Test
    void criuGetsTheConnectionAsDescriptorThree() {
        InetAddress a = InetAddress.getLoopbackAddress();
        List<String> cmd = PageLink.toPageServer(a, 4711, List.of("dump", "-t", "1"));
        assertEquals(List.of(PageLink.TOOL, "connect", "127.0.0.1", "4711", "--", "criu", "dump", "-t", "1", "--ps-socket", "3"), cmd);
        assertEquals(List.of(PageLink.TOOL, "listen", "127.0.0.1", "127.0.0.1", "--", "criu", "page-server", "--ps-socket", "3"),
                PageLink.pageServer(a, a, List.of("page-server")));
    }

    @Test
    void refusesKeysThatAreNotHex() throws Exception {
        Path tool = NativeTools.compile("mosvm-pagelink", dir);
        Process p = new ProcessBuilder(tool.toString(), "connect", "127.0.0.1", "1", "--", "true").redirectErrorStream(true).start();
        p.getOutputStream().write("xyz\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertTrue(out.startsWith("mosvm-pagelink: keys must be"), out);
    }

    @Test
    void theListeningEndClosesConnectionsFromAnyoneButThePeer() throws Exception {
        Path tool = NativeTools.compile("mosvm-pagelink", dir);
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(tool.toString(), "listen", "127.0.0.1", "127.0.0.2", "--", "true")
                .redirectError(err.toFile()).start();
        try {
            p.getOutputStream().write(PageStreamKeys.fresh().targetLine().getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            int port = Integer.parseInt(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine());
            try (Socket stranger = new Socket()) {
                stranger.bind(new InetSocketAddress("127.0.0.1", 0));
                stranger.connect(new InetSocketAddress("127.0.0.1", port));
                assertEquals(-1, stranger.getInputStream().read(), "closed without a byte");
            }
            assertTrue(p.isAlive(), "still waiting for its peer");
            assertTrue(Files.readString(err).contains("closed a connection from 127.0.0.1 (waiting for 127.0.0.2)"), Files.readString(err));
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}

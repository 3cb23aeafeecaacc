package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The page stream's keys, and the commands that put mosvm-pagelink between CRIU and the
 * network (the tool itself: PageLinkIntegrationTest).
 */
class PageLinkTest {
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
    void criuGetsItsEndOfTheStreamAsDescriptorThree() {
        InetAddress a = InetAddress.getLoopbackAddress();
        List<String> cmd = PageLink.toPageServer(a, 4711, List.of("dump", "-t", "1"));
        assertEquals(List.of(PageLink.TOOL, "connect", "127.0.0.1", "4711", "--", "criu", "dump", "-t", "1", "--ps-socket", "3"), cmd);
        assertEquals(List.of(PageLink.TOOL, "listen", "127.0.0.1", "127.0.0.1", "--", "criu", "page-server", "--ps-socket", "3"),
                PageLink.pageServer(a, a, List.of("page-server")));
    }

    @Test
    void aSourceSendsPlainOnlyWhereItsOwnPoolAllowsIt() throws Exception {
        PageStreamKeys keys = PageStreamKeys.fresh();
        assertEquals(keys.sourceLine(), PageLink.sourceLine(PageLink.wire(keys), false, "b"));
        assertEquals("plain\n", PageLink.sourceLine(PageLink.wire(null), true, "b"));
        assertEquals("plain\n", PageLink.targetLine(null));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> PageLink.sourceLine("plain", false, "b"));
        assertEquals("b asked for an unsealed page stream, but this pool seals them", e.getMessage());
    }
}

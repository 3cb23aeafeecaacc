package dev.mosvm.agent.wire;

import dev.mosvm.api.MigrationRecord;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** A migration's structured payloads: each reads back as written, and what would name another place is refused. */
class MigrationFramesTest {
    static String refusal(org.junit.jupiter.api.function.Executable decode) {
        return assertThrows(MalformedFrameException.class, decode).getMessage();
    }

    @Test
    void payloadsRoundTripAsProtocolOneWroteThem() throws MalformedFrameException {
        assertEquals("1", new MigrationFrames.Pages(1, 0).frame().text());
        assertEquals("3\u00002", new MigrationFrames.Pages(3, 2).frame().text());
        for (MigrationFrames.Pages p : new MigrationFrames.Pages[] {new MigrationFrames.Pages(1, 0), new MigrationFrames.Pages(999, 998)}) {
            assertEquals(p, MigrationFrames.Pages.of(p.frame()));
        }
        MigrationFrames.PagesReady sealed = new MigrationFrames.PagesReady(40123, "0a".repeat(88));
        assertEquals("40123 " + "0a".repeat(88), sealed.frame().text());
        assertEquals(sealed, MigrationFrames.PagesReady.of(sealed.frame()));
        assertEquals(new MigrationFrames.PagesReady(1, "plain"), MigrationFrames.PagesReady.of(Frame.text(MessageType.PAGES_READY, "1 plain")));
        assertEquals(new MigrationFrames.Restore(6), MigrationFrames.Restore.of(Frame.text(MessageType.RESTORE, "6")));
        assertEquals(Long.MAX_VALUE, MigrationFrames.roundOk(MigrationFrames.roundOk(Long.MAX_VALUE)));
        assertEquals(WireSamples.RECORD, Frame.json(MessageType.RECORD, WireSamples.RECORD).json(MigrationRecord.class));
    }

    @Test
    void refusesRoundsPortsAndKeysThatAreNotThem() {
        for (String bad : new String[] {"", "0", "01", "1000", "../x", "1/2", "1\u0000../../etc", "2\u00001\u00000", "12345", "1\u0000"}) {
            refusal(() -> MigrationFrames.Pages.of(Frame.text(MessageType.PAGES, bad)));
        }
        assertEquals("bad round 0", refusal(() -> MigrationFrames.Restore.of(Frame.text(MessageType.RESTORE, "0"))));
        for (String bad : new String[] {"", "40123", "0 plain", "65536 plain", "99999 plain", "40123 PLAIN", "40123 0a 0b", "-1 plain", "40123 " + "0".repeat(513)}) {
            assertEquals("bad page-server answer", refusal(() -> MigrationFrames.PagesReady.of(Frame.text(MessageType.PAGES_READY, bad))), bad);
        }
        assertEquals("a round of 18446744073709551615 bytes of pages", refusal(() -> MigrationFrames.roundOk(Frame.u64(MessageType.ROUND_OK, -1))));
        assertEquals("a RESTORED frame where RESTORE belongs", refusal(() -> MigrationFrames.Restore.of(Frame.empty(MessageType.RESTORED))));
        assertEquals("PAGES text of 1025 bytes", refusal(() -> MigrationFrames.Pages.of(Frame.text(MessageType.PAGES, "1".repeat(1025)))));
    }
}

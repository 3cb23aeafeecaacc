package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesCommonForms() {
        assertEquals(512, Sizes.parseMiB("512M"));
        assertEquals(512, Sizes.parseMiB("512"));
        assertEquals(2048, Sizes.parseMiB("2G"));
        assertEquals(2048, Sizes.parseMiB("2g"));
        assertEquals(1536, Sizes.parseMiB("1536MiB"));
        assertEquals(4L << 30, Sizes.parseBytes("4G"));
    }

    @Test
    void rejectsGarbageWithAClearMessage() {
        for (String bad : new String[] {"", "12Q", "-1G", "G", "1.5G", "99999999999999999999G", "100B"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(bad), bad);
            assertTrue(e.getMessage().contains("size"), e.getMessage());
        }
    }
}

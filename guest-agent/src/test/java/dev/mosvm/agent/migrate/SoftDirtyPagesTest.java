package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftDirtyPagesTest {
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;
    private static final long FILE = 1L << 61;
    private static final long SOFT_DIRTY = 1L << 55;

    @Test
    void countsThePrivatePagesADumpWouldCopyAndWhichOfThemAreDirty(@TempDir Path proc) throws Exception {
        Files.writeString(proc.resolve("maps"), """
                00400000-00403000 r-xp 00000000 fe:01 1234    /usr/bin/perl
                01000000-01004000 rw-p 00000000 00:00 0       [heap]
                7ffd0000-7ffd1000 r--p 00000000 00:00 0       [vvar]
                7ffe0000-7ffe2000 rw-p 00000000 00:00 0
                7fff0000-7fff1000 ---p 00000000 00:00 0
                """);
        try (FileChannel pm = FileChannel.open(proc.resolve("pagemap"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            put(pm, 0x400000, FILE | PRESENT | SOFT_DIRTY, FILE | PRESENT, PRESENT); // the text: file pages, and one copied on write
            put(pm, 0x1000000, PRESENT | SOFT_DIRTY, PRESENT, SWAPPED | SOFT_DIRTY, SOFT_DIRTY); // the last never touched
            put(pm, 0x7ffd0000, PRESENT | SOFT_DIRTY);
            put(pm, 0x7ffe0000, PRESENT | SOFT_DIRTY, PRESENT | SOFT_DIRTY);
            put(pm, 0x7fff0000, PRESENT | SOFT_DIRTY); // not what the kernel reports there: it is skipped unread
        }
        SoftDirtyPages.Count c = SoftDirtyPages.countProcess(proc);
        assertEquals(6 * 4096, c.residentBytes(), "the copied text page, three heap pages, two stack pages");
        assertEquals(4 * 4096, c.dirtyBytes());
    }

    private static void put(FileChannel pm, long vaddr, long... entries) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(entries.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long e : entries) b.putLong(e);
        b.flip();
        pm.write(b, vaddr / 4096 * 8);
    }
}

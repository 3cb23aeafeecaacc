package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What a job's next CRIU dump would copy, read from the kernel's soft-dirty bits before CRIU
 * runs: the pages of the job's processes that are resident (or swapped), anonymous, and
 * soft-dirty. CRIU's {@code --track-mem} copies exactly those after the first round.
 *
 * <p>Why read them ourselves: the kernel marks a whole mapping soft-dirty when it grows or
 * merges with a neighbour (a heap extended by brk, adjacent mallocs by mmap), so a job whose
 * memory grows has all of it dirty again at every round, and pre-copy only sends it again and
 * again (a growing 164 MiB job sent 644 MiB). Counting first lets the agent skip rounds that
 * cannot pay.
 */
final class SoftDirtyPages {
    private static final int PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;
    private static final long FILE_OR_SHARED = 1L << 61;
    private static final long SOFT_DIRTY = 1L << 55;

    /** @param dirtyBytes soft-dirty private pages; @param residentBytes all private pages, resident or swapped */
    record Count(long dirtyBytes, long residentBytes) {}

    private SoftDirtyPages() {}

    /** Clears the soft-dirty bits of every process of the job (as CRIU does after each round). */
    static void clear(Path cgroup) throws IOException {
        for (long pid : processes(cgroup)) {
            try {
                Files.writeString(Path.of("/proc", String.valueOf(pid), "clear_refs"), "4");
            } catch (java.nio.file.NoSuchFileException e) {
                // the process ended meanwhile
            }
        }
    }

    static Count count(Path cgroup) throws IOException {
        long dirty = 0;
        long resident = 0;
        for (long pid : processes(cgroup)) {
            try {
                Count c = countProcess(Path.of("/proc", String.valueOf(pid)));
                dirty += c.dirtyBytes();
                resident += c.residentBytes();
            } catch (java.nio.file.NoSuchFileException e) {
                // the process ended meanwhile
            }
        }
        return new Count(dirty, resident);
    }

    static Count countProcess(Path proc) throws IOException {
        long dirty = 0;
        long resident = 0;
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel pagemap = FileChannel.open(proc.resolve("pagemap"), StandardOpenOption.READ)) {
            for (String line : Files.readAllLines(proc.resolve("maps"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 5 && f[5].startsWith("[v")) continue; // [vdso], [vvar], [vsyscall]: never dumped as pages
                if (f[1].startsWith("---")) continue; // reserved, never accessible (a JVM reserves gigabytes so): no pages
                int dash = f[0].indexOf('-');
                long start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
                long end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
                for (long at = start / PAGE * 8; at < end / PAGE * 8; ) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), end / PAGE * 8 - at));
                    int n = pagemap.read(buf, at);
                    if (n <= 0) break;
                    at += n;
                    buf.flip();
                    while (buf.remaining() >= 8) {
                        long e = buf.getLong();
                        if ((e & (PRESENT | SWAPPED)) == 0 || (e & FILE_OR_SHARED) != 0) continue;
                        resident += PAGE;
                        if ((e & SOFT_DIRTY) != 0) dirty += PAGE;
                    }
                }
            }
        }
        return new Count(dirty, resident);
    }

    /** The job's processes, as the rest of the agent finds them: its cgroup's own list. */
    private static List<Long> processes(Path cgroup) throws IOException {
        List<Long> pids = new ArrayList<>();
        for (String line : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
            if (!line.isBlank()) pids.add(Long.parseLong(line.strip()));
        }
        return pids;
    }
}

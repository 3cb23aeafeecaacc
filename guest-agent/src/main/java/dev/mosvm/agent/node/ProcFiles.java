package dev.mosvm.agent.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Pure parsers for the /proc files the agent reads, plus thin readers. */
public final class ProcFiles {
    private ProcFiles() {}

    /** MemAvailable from /proc/meminfo, in kB: what can be taken without swapping or killing. */
    public static long memAvailableKb() throws IOException {
        return meminfoKb("MemAvailable");
    }

    /** MemTotal from /proc/meminfo, in kB. */
    public static long memTotalKb() throws IOException {
        return meminfoKb("MemTotal");
    }

    private static long meminfoKb(String key) throws IOException {
        return parseMeminfo(read("/proc/meminfo")).getOrDefault(key, 0L);
    }

    /** Linux USER_HZ; /proc/PID/stat start times are in these ticks. 100 on every x86 Linux. */
    static final double CLOCK_TICKS = 100.0;

    /** "MemTotal:  501234 kB" lines -> key to value in kB. */
    public static Map<String, Long> parseMeminfo(String text) {
        Map<String, Long> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String[] rest = line.substring(colon + 1).trim().split("\\s+");
            try {
                out.put(line.substring(0, colon).trim(), Long.parseLong(rest[0]));
            } catch (NumberFormatException ignored) {
                // not a numeric line; skip
            }
        }
        return out;
    }

    static double[] parseLoadavg(String text) {
        String[] f = text.trim().split("\\s+");
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /**
     * The aggregate "cpu" line of /proc/stat as {busy, total} ticks; idle and iowait are the
     * not-busy part. Two samples a second apart give the share of the CPUs in use now, which the
     * one-minute load average takes minutes to show (it stayed above 1 long after a TCG boot).
     */
    public static long[] parseCpuTicks(String stat) {
        for (String line : stat.split("\n")) {
            if (!line.startsWith("cpu ")) continue;
            String[] f = line.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]); // user..steal; guest is inside user
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            return new long[] {total - idle, total};
        }
        throw new IllegalArgumentException("no cpu line in /proc/stat");
    }

    public static double parseUptime(String text) {
        return Double.parseDouble(text.trim().split("\\s+")[0]);
    }

    /** Field 22 of /proc/PID/stat (process start, in clock ticks since boot), in seconds. */
    static double parseStartSeconds(String stat) {
        // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(f[22 - 3]) / CLOCK_TICKS;
    }

    /** Fields 14 and 15 of /proc/PID/stat (user and system time, clock ticks), in seconds. */
    static double parseCpuSeconds(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return (Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3])) / CLOCK_TICKS;
    }

    /** "VmRSS:  12345 kB" from /proc/PID/status. */
    static long parseRssKb(String status) {
        return parseMeminfo(status).getOrDefault("VmRSS", -1L);
    }

    /** The process's threads, from /proc/PID/status ("Threads:  23"); -1 if absent. */
    public static long parseThreads(String status) {
        return parseMeminfo(status).getOrDefault("Threads", -1L);
    }

    public static String read(String path) throws IOException {
        return Files.readString(Path.of(path));
    }
}

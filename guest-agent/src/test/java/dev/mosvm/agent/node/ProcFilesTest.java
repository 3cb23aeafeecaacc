package dev.mosvm.agent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcFilesTest {
    @Test
    void meminfo() {
        var m = ProcFiles.parseMeminfo("MemTotal:         480280 kB\nMemFree:  100 kB\nMemAvailable:     375100 kB\nHugePages_Total:       0\n");
        assertEquals(480280L, m.get("MemTotal"));
        assertEquals(375100L, m.get("MemAvailable"));
        assertEquals(0L, m.get("HugePages_Total"));
    }

    @Test
    void loadavgAndUptime() {
        assertArrayEquals(new double[] {1.97, 0.52, 0.18}, ProcFiles.parseLoadavg("1.97 0.52 0.18 2/101 512\n"));
        assertEquals(34.56, ProcFiles.parseUptime("34.56 20.01\n"));
    }

    @Test
    void cpuTicksCountIdleAndIowaitAsNotBusyAndGuestOnlyOnce() {
        String stat = "cpu  100 5 40 800 30 2 3 7 50 0\ncpu0 100 5 40 800 30 2 3 7 50 0\nintr 1 2\n";
        // busy = user 100 + nice 5 + system 40 + irq 2 + softirq 3 + steal 7; guest (50) is already in user
        assertArrayEquals(new long[] {157, 987}, ProcFiles.parseCpuTicks(stat));
        assertThrows(IllegalArgumentException.class, () -> ProcFiles.parseCpuTicks("intr 1 2\n"));
    }

    @Test
    void startTimeSurvivesParenthesesAndSpacesInTheCommandName() {
        // field 22 (starttime) = 1234 ticks
        String stat = "42 (java (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 1234 100000 500 18446744073709551615";
        assertEquals(12.34, ProcFiles.parseStartSeconds(stat), 1e-9);
        assertEquals(0.08, ProcFiles.parseCpuSeconds(stat), 1e-9); // utime 5 + stime 3 ticks
    }

    @Test
    void rssAndThreadsFromStatus() {
        assertEquals(51200L, ProcFiles.parseRssKb("Name:\tjava\nVmRSS:\t   51200 kB\nThreads: 12\n"));
        assertEquals(12L, ProcFiles.parseThreads("Name:\tjava\nVmRSS:\t   51200 kB\nThreads:\t12\n"));
    }

    @Test
    void systemdMicroseconds() {
        assertEquals(14.25, SystemdTimestamps.parseMicros("14250000\n"), 1e-9);
    }

    @Test
    void speedIsPositiveAndStable() {
        // the better of two runs each: a host busy with other work (the image build beside the unit
        // tests) takes the CPU away from one run now and then, not from both
        double a = Math.max(SpeedBenchmark.measureInJava(150), SpeedBenchmark.measureInJava(150));
        double b = Math.max(SpeedBenchmark.measureInJava(150), SpeedBenchmark.measureInJava(150));
        assertTrue(a > 0 && b > 0);
        // best-of-rounds: two measurements on the same machine agree within a factor of two
        assertTrue(Math.max(a, b) / Math.min(a, b) < 2.0, a + " vs " + b);
    }
}

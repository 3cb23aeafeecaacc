package dev.mosvm.agent.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * When the real root's init started, in seconds since the kernel started. PID 1's own start
 * time is useless for this: the initramfs script is PID 1 first and execs systemd later.
 * systemd records the moment as UserspaceTimestampMonotonic (CLOCK_MONOTONIC, microseconds).
 */
public final class SystemdTimestamps {
    private SystemdTimestamps() {}

    static double userspaceStartSeconds() {
        try {
            Process p = new ProcessBuilder("systemctl", "show", "--property=UserspaceTimestampMonotonic", "--value")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) return parseMicros(out);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            // not under systemd (tests on a workstation): fall back below
        }
        try {
            return ProcFiles.parseStartSeconds(ProcFiles.read("/proc/1/stat"));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static double parseMicros(String text) {
        return Long.parseLong(text.strip()) / 1e6;
    }
}

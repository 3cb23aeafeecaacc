package dev.mosvm.agent.node;

import java.io.IOException;

/**
 * The share of each virtual CPU the host lets this appliance use (`mosvm up --cpu-cap`, a
 * libvirt cputune quota), passed on the kernel command line as {@code mosvm.cpu_cap=PERCENT}.
 * The speed benchmark is too short to notice a quota (it fits inside one scheduling period),
 * so the node's gossiped speed is scaled by the cap: the balancer then sees a capped node as
 * the slower machine it is.
 */
public final class CpuCap {
    static final String PARAMETER = "mosvm.cpu_cap=";

    private CpuCap() {}

    /** The cap as a fraction of a CPU, 1.0 when none is set or the value is unusable. */
    static double parse(String cmdline) {
        for (String word : cmdline.trim().split("\\s+")) {
            if (!word.startsWith(PARAMETER)) continue;
            try {
                int pct = Integer.parseInt(word.substring(PARAMETER.length()));
                return pct >= 1 && pct <= 100 ? pct / 100.0 : 1.0;
            } catch (NumberFormatException e) {
                return 1.0;
            }
        }
        return 1.0;
    }

    public static double read() {
        try {
            return parse(ProcFiles.read("/proc/cmdline"));
        } catch (IOException e) {
            return 1.0;
        }
    }
}

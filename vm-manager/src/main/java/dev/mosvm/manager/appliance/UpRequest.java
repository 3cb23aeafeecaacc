package dev.mosvm.manager.appliance;

import java.time.Duration;

/** Options of `mosvm up`; null fields keep an existing instance's settings or the defaults. */
public record UpRequest(String name, Integer cpus, Long memoryMiB, String accel, Duration timeout, Integer cpuCap, String cpuModel,
                        Integer clockOffset, String driver) {
    public UpRequest(String name, Integer cpus, Long memoryMiB, String accel, Duration timeout) {
        this(name, cpus, memoryMiB, accel, timeout, null, null, null, null);
    }

    /** The furthest `--clock-offset` goes: a day either way. */
    public static final int MAX_CLOCK_OFFSET_SECONDS = 86_400;

    public static final int DEFAULT_CPUS = 1;
    public static final long DEFAULT_MEMORY_MIB = 512;
    public static final long MIN_MEMORY_MIB = 256;
}

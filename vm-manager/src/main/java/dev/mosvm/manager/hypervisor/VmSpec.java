package dev.mosvm.manager.hypervisor;

import java.nio.file.Path;

/** What to boot: resources, the direct-boot kernel, the instance's disk and files. */
public record VmSpec(
        String vm,
        String uuid,
        String instance,
        int cpus,
        long memoryMiB,
        Accelerator accel,
        Path kernel,
        Path initrd,
        String cmdline,
        Path disk,
        String mac,
        String network,
        Path serialLog,
        Path guestConfig,
        Path instanceDir) {}

package dev.mosvm.manager.hypervisor;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to boot: resources, the direct-boot kernel, the instance's disk and files.
 * {@code firmwareFiles} are handed to the guest through QEMU fw_cfg (name to host file).
 * {@code cpuCapPercent}: the share of each virtual CPU's host thread the VM may use (100: no cap).
 * {@code cpuModel}: a QEMU CPU model to present instead of the default (null).
 * {@code clockOffsetSeconds}: how far the VM's RTC runs from the host's clock (0: on it), to try
 * a pool whose workstations' clocks disagree on one machine.
 */
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
        Map<String, Path> firmwareFiles,
        Path instanceDir,
        int cpuCapPercent,
        String cpuModel,
        long clockOffsetSeconds) {
    public VmSpec(String vm, String uuid, String instance, int cpus, long memoryMiB, Accelerator accel, Path kernel, Path initrd,
                  String cmdline, Path disk, String mac, String network, Path serialLog, Map<String, Path> firmwareFiles, Path instanceDir) {
        this(vm, uuid, instance, cpus, memoryMiB, accel, kernel, initrd, cmdline, disk, mac, network, serialLog, firmwareFiles, instanceDir, 100, null);
    }

    public VmSpec(String vm, String uuid, String instance, int cpus, long memoryMiB, Accelerator accel, Path kernel, Path initrd,
                  String cmdline, Path disk, String mac, String network, Path serialLog, Map<String, Path> firmwareFiles, Path instanceDir,
                  int cpuCapPercent, String cpuModel) {
        this(vm, uuid, instance, cpus, memoryMiB, accel, kernel, initrd, cmdline, disk, mac, network, serialLog, firmwareFiles, instanceDir,
                cpuCapPercent, cpuModel, 0);
    }
}

package dev.mosvm.manager.hypervisor;

/**
 * How guest code runs: hardware virtualisation (KVM on Linux, HVF on macOS, WHPX on Windows)
 * or QEMU's software emulation (TCG, on every host).
 */
public enum Accelerator {
    KVM, TCG, HVF, WHPX;

    /** Whether the guest runs on the host CPU's virtualisation (its model is the host's). */
    public boolean isHardware() {
        return this != TCG;
    }

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

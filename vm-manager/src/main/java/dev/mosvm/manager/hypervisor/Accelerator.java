package dev.mosvm.manager.hypervisor;

/** How guest code runs: hardware virtualisation or QEMU's software emulation. */
public enum Accelerator {
    KVM, TCG;

    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

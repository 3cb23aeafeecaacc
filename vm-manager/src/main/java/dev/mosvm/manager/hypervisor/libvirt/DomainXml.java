package dev.mosvm.manager.hypervisor.libvirt;

import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.VmSpec;

/** Renders the libvirt domain for a {@link VmSpec}. */
public final class DomainXml {
    /** Namespace of the metadata that marks a domain as mosvm's. */
    public static final String METADATA_NS = "https://mosvm.dev/xmlns/instance/1";
    static final int TCG_TB_CACHE_MIB = 256;
    static final long CAP_PERIOD_US = 100_000;

    private DomainXml() {}

    /**
     * @param domainType "kvm"/"qemu" for real hypervisors, "test" for libvirt's test driver
     * @param qemuAsRoot run QEMU as root (system daemon, user is root): instance files live in
     *                   root's private home, which the default libvirt-qemu user cannot read
     */
    public static String render(VmSpec s, String domainType, boolean qemuAsRoot) {
        StringBuilder x = new StringBuilder();
        x.append("<domain type='").append(domainType).append("'>\n");
        x.append("  <name>").append(esc(s.vm())).append("</name>\n");
        // A fixed UUID lets `up` re-define a stopped instance's domain in place.
        if (s.uuid() != null) x.append("  <uuid>").append(s.uuid()).append("</uuid>\n");
        x.append("  <metadata>\n    <mosvm:instance xmlns:mosvm='").append(METADATA_NS).append("' name='")
                .append(esc(s.instance())).append("' dir='").append(esc(s.instanceDir().toString())).append("'/>\n  </metadata>\n");
        x.append("  <memory unit='MiB'>").append(s.memoryMiB()).append("</memory>\n");
        x.append("  <vcpu>").append(s.cpus()).append("</vcpu>\n");
        if (s.cpuCapPercent() < 100 && !"test".equals(domainType)) {
            // CFS bandwidth on each vCPU thread: the owner keeps the rest of the host's CPU
            x.append("  <cputune>\n    <period>").append(CAP_PERIOD_US).append("</period>\n    <quota>")
                    .append(CAP_PERIOD_US * s.cpuCapPercent() / 100).append("</quota>\n  </cputune>\n");
        }
        if (!"test".equals(domainType) && !s.firmwareFiles().isEmpty()) {
            x.append("  <sysinfo type='fwcfg'>\n");
            s.firmwareFiles().forEach((name, file) -> x.append("    <entry name='").append(esc(name)).append("' file='")
                    .append(esc(file.toString())).append("'/>\n"));
            x.append("  </sysinfo>\n");
        }
        x.append("  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n");
        x.append("    <kernel>").append(esc(s.kernel().toString())).append("</kernel>\n");
        x.append("    <initrd>").append(esc(s.initrd().toString())).append("</initrd>\n");
        x.append("    <cmdline>").append(esc(s.cmdline())).append("</cmdline>\n  </os>\n");
        x.append("  <features>\n    <acpi/>\n");
        if (s.accel() == Accelerator.TCG && !"test".equals(domainType)) {
            // QEMU's default TCG translation cache is 1 GiB of host memory per guest; 256 MiB
            // keeps an idle guest's host footprint near its RAM size at little speed cost.
            x.append("    <tcg><tb-cache unit='MiB'>").append(TCG_TB_CACHE_MIB).append("</tb-cache></tcg>\n");
        }
        x.append("  </features>\n");
        if (s.cpuModel() != null && !"test".equals(domainType)) {
            // exactly this model, never silently a different one: it is chosen to differ from the other nodes
            x.append("  <cpu mode='custom' match='exact'><model fallback='forbid'>").append(esc(s.cpuModel())).append("</model></cpu>\n");
        } else if (s.accel() == Accelerator.KVM) {
            x.append("  <cpu mode='host-model'/>\n");
        } else if (!"test".equals(domainType)) {
            // Everything TCG can emulate, AES-NI above all: with QEMU's default qemu64 model the
            // JVM falls back to pure-Java AES for every sealed gossip packet and TLS handshake.
            x.append("  <cpu mode='maximum'/>\n");
        }
        // a variable offset: libvirt starts QEMU's RTC that far from the host's UTC
        x.append(s.clockOffsetSeconds() == 0 ? "  <clock offset='utc'/>\n"
                : "  <clock offset='variable' basis='utc' adjustment='" + s.clockOffsetSeconds() + "'/>\n");
        x.append("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n");
        x.append("  <devices>\n");
        x.append("    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' discard='unmap'/>\n");
        x.append("      <source file='").append(esc(s.disk().toString())).append("'/>\n");
        x.append("      <target dev='vda' bus='virtio'/>\n    </disk>\n");
        x.append("    <interface type='network'>\n      <mac address='").append(s.mac()).append("'/>\n");
        x.append("      <source network='").append(esc(s.network())).append("'/>\n      <model type='virtio'/>\n    </interface>\n");
        x.append("    <serial type='pty'>\n      <log file='").append(esc(s.serialLog().toString())).append("' append='off'/>\n");
        x.append("      <target port='0'/>\n    </serial>\n");
        x.append("    <console type='pty'><target type='serial' port='0'/></console>\n");
        x.append("    <memballoon model='virtio'/>\n");
        x.append("    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n");
        x.append("  </devices>\n");
        if (qemuAsRoot) {
            x.append("  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>\n");
        }
        x.append("</domain>\n");
        return x.toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;").replace("\"", "&quot;");
    }
}

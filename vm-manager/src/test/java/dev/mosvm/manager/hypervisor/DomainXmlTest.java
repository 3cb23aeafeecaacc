package dev.mosvm.manager.hypervisor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.manager.hypervisor.libvirt.DomainXml;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DomainXmlTest {
    static VmSpec spec(Accelerator accel) {
        Path d = Path.of("/home/u/.mosvm/a");
        return new VmSpec("mosvm-a", "8d2c6f0e-7c1e-4a53-9a55-0f4b2b1d1c11", "a", 1, 512, accel, Path.of("/c/vmlinuz"), Path.of("/c/initrd.img"),
                "console=ttyS0 root=/dev/vda systemd.hostname=a", d.resolve("disk.qcow2"), "52:54:00:01:02:03", "default",
                d.resolve("serial.log"), java.util.Map.of("opt/dev.mosvm/config", d.resolve("guest-config.json")), d);
    }

    @Test
    void tcgDomainHasEverythingTheGuestNeeds() {
        String x = DomainXml.render(spec(Accelerator.TCG), "qemu", true);
        assertTrue(x.startsWith("<domain type='qemu'>"));
        assertTrue(x.contains("<entry name='opt/dev.mosvm/config' file='/home/u/.mosvm/a/guest-config.json'/>"), "fw_cfg config");
        assertTrue(x.contains("<kernel>/c/vmlinuz</kernel>"));
        assertTrue(x.contains("<uuid>8d2c6f0e-7c1e-4a53-9a55-0f4b2b1d1c11</uuid>"));
        assertTrue(x.contains("<source network='default'/>"));
        assertTrue(x.contains("<mac address='52:54:00:01:02:03'/>"));
        assertTrue(x.contains("<log file='/home/u/.mosvm/a/serial.log' append='off'/>"));
        assertTrue(x.contains("<tb-cache unit='MiB'>256</tb-cache>"), "bounded TCG cache");
        assertTrue(x.contains("<label>+0:+0</label>"), "QEMU as root when the home is root's");
        assertTrue(x.contains("xmlns:mosvm='" + DomainXml.METADATA_NS + "'"));
        assertFalse(x.contains("host-model"));
        assertTrue(x.contains("<cpu mode='maximum'/>"), "all TCG-emulated CPU features (AES-NI)");
    }

    @Test
    void aCpuCapBecomesACfsQuotaOnEachVcpu() {
        VmSpec s = spec(Accelerator.TCG);
        assertFalse(DomainXml.render(s, "qemu", true).contains("cputune"), "no cap, no quota");
        String x = DomainXml.render(new VmSpec(s.vm(), s.uuid(), s.instance(), 1, 512, s.accel(), s.kernel(), s.initrd(), s.cmdline(),
                s.disk(), s.mac(), s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir(), 40, null), "qemu", true);
        assertTrue(x.contains("<cputune>\n    <period>100000</period>\n    <quota>40000</quota>\n  </cputune>"), x);
    }

    @Test
    void aChosenCpuModelIsPresentedExactlyInsteadOfTheDefault() {
        VmSpec s = spec(Accelerator.TCG);
        String x = DomainXml.render(new VmSpec(s.vm(), s.uuid(), s.instance(), 1, 512, s.accel(), s.kernel(), s.initrd(), s.cmdline(),
                s.disk(), s.mac(), s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir(), 100, "qemu64"), "qemu", true);
        assertTrue(x.contains("<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>"), x);
        assertFalse(x.contains("mode='maximum'"), x);
    }

    @Test
    void aClockOffsetRunsTheRtcThatFarFromTheHostsUtc() {
        VmSpec s = spec(Accelerator.TCG);
        assertTrue(DomainXml.render(s, "qemu", true).contains("<clock offset='utc'/>"), "on the host's clock by default");
        String x = DomainXml.render(new VmSpec(s.vm(), s.uuid(), s.instance(), 1, 512, s.accel(), s.kernel(), s.initrd(), s.cmdline(),
                s.disk(), s.mac(), s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir(), 100, null, -90), "qemu", true);
        assertTrue(x.contains("<clock offset='variable' basis='utc' adjustment='-90'/>"), x);
        assertFalse(x.contains("offset='utc'"), x);
    }

    @Test
    void kvmDomainAndEscaping() {
        VmSpec s = spec(Accelerator.KVM);
        String x = DomainXml.render(new VmSpec(s.vm(), null, s.instance(), 2, 1024, s.accel(), s.kernel(), s.initrd(), "a<b & 'c'",
                s.disk(), s.mac(), s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir()), "kvm", false);
        assertTrue(x.startsWith("<domain type='kvm'>"));
        assertTrue(x.contains("<cmdline>a&lt;b &amp; &apos;c&apos;</cmdline>"));
        assertTrue(x.contains("<vcpu>2</vcpu>"));
        assertFalse(x.contains("tb-cache"));
        assertFalse(x.contains("seclabel"));
    }
}

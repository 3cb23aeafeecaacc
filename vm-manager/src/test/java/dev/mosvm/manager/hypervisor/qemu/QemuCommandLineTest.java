package dev.mosvm.manager.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.VmSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The command lines the qemu driver runs, per host, checked against what QEMU documents:
 * qemu-system-x86_64(1) for -netdev user's hostfwd, -rtc, -qmp, -pidfile and -daemonize (not on
 * Windows, where os_set_daemonize returns -ENOTSUP), the WHPX page
 * (https://www.qemu.org/docs/master/system/whpx.html: -accel whpx) and HVF on macOS (-accel hvf).
 */
class QemuCommandLineTest {
    static VmSpec spec(Accelerator accel, String cpuModel, long clockOffset) {
        Path d = Path.of("/home/u/.mosvm/a");
        return new VmSpec("mosvm-a", "8d2c6f0e-7c1e-4a53-9a55-0f4b2b1d1c11", "a", 2, 768, accel, Path.of("/c/vmlinuz"), Path.of("/c/initrd.img"),
                "console=ttyS0 root=/dev/vda systemd.hostname=a", d.resolve("disk.qcow2"), "52:54:00:01:02:03", "default",
                d.resolve("serial.log"), Map.of("opt/dev.mosvm/config", d.resolve("guest-config.json")), d, 100, cpuModel, clockOffset);
    }

    static final List<QemuCommandLine.Forward> FORWARDS = List.of(new QemuCommandLine.Forward("tcp", "127.0.0.1", 40001, 7443),
            new QemuCommandLine.Forward("tcp", "127.0.0.1", 40002, 22), new QemuCommandLine.Forward("udp", "", 51820, 51820));

    /** The value following {@code option} (the first occurrence). */
    static String after(List<String> args, String option) {
        int i = args.indexOf(option);
        assertTrue(i >= 0 && i + 1 < args.size(), option + " in " + args);
        return args.get(i + 1);
    }

    @Test
    void linuxTcgBootsTheApplianceAsLibvirtWouldWithForwardsAndQmpOnAUnixSocket() {
        List<String> a = QemuCommandLine.build(spec(Accelerator.TCG, null, 0), HostOs.LINUX, FORWARDS,
                QemuCommandLine.Control.unix(Path.of("/home/u/.mosvm/a/qmp.sock")), Path.of("/home/u/.mosvm/a/qemu.pid"));
        assertEquals("qemu-system-x86_64", a.get(0));
        assertEquals("tcg,tb-size=256", after(a, "-accel"), "bounded translation cache, as libvirt's tb-cache");
        assertEquals("max", after(a, "-cpu"), "everything TCG emulates (AES-NI)");
        assertEquals("2", after(a, "-smp"));
        assertEquals("768M", after(a, "-m"));
        assertEquals("/c/vmlinuz", after(a, "-kernel"));
        assertEquals("/c/initrd.img", after(a, "-initrd"));
        assertEquals("console=ttyS0 root=/dev/vda systemd.hostname=a", after(a, "-append"), "one argument: no shell in between");
        assertEquals("file=/home/u/.mosvm/a/disk.qcow2,if=virtio,format=qcow2,discard=unmap", after(a, "-drive"));
        assertEquals("user,id=n0,hostfwd=tcp:127.0.0.1:40001-10.0.2.15:7443,hostfwd=tcp:127.0.0.1:40002-10.0.2.15:22,"
                + "hostfwd=udp::51820-10.0.2.15:51820", after(a, "-netdev"), "hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport");
        assertTrue(a.contains("virtio-net-pci,netdev=n0,mac=52:54:00:01:02:03"), a.toString());
        assertEquals("name=opt/dev.mosvm/config,file=/home/u/.mosvm/a/guest-config.json", after(a, "-fw_cfg"));
        assertEquals("file:/home/u/.mosvm/a/serial.log", after(a, "-serial"));
        assertTrue(a.contains("virtio-balloon-pci") && a.contains("virtio-rng-pci"), a.toString());
        assertEquals("unix:/home/u/.mosvm/a/qmp.sock,server=on,wait=off", after(a, "-qmp"));
        assertEquals("/home/u/.mosvm/a/qemu.pid", after(a, "-pidfile"));
        assertEquals("-daemonize", a.get(a.size() - 1), "the parent returns once the VM runs, or with QEMU's error");
        assertTrue(a.containsAll(List.of("-nodefaults", "-no-user-config", "-display", "none")));
        assertFalse(a.contains("-rtc"), "the RTC's base depends on the start: added then");
    }

    @Test
    void otherWorkstationsReachTheAgentAndWireGuardThroughForwardsOnTheLanAddress() {
        List<QemuCommandLine.Forward> forwards = List.of(new QemuCommandLine.Forward("tcp", "127.0.0.1", 40001, 7443),
                new QemuCommandLine.Forward("tcp", "127.0.0.1", 40002, 22),
                new QemuCommandLine.Forward("tcp", "10.213.77.11", 7443, 7443),
                new QemuCommandLine.Forward("udp", "10.213.77.11", 51821, 51821));
        List<String> a = QemuCommandLine.build(spec(Accelerator.TCG, null, 0), HostOs.LINUX, forwards,
                QemuCommandLine.Control.unix(Path.of("/q.sock")), Path.of("/q.pid"));
        assertEquals("user,id=n0,hostfwd=tcp:127.0.0.1:40001-10.0.2.15:7443,hostfwd=tcp:127.0.0.1:40002-10.0.2.15:22,"
                + "hostfwd=tcp:10.213.77.11:7443-10.0.2.15:7443,hostfwd=udp:10.213.77.11:51821-10.0.2.15:51821", after(a, "-netdev"),
                "the agent twice (loopback for this host, the LAN for joins); WireGuard's UDP on the same port both sides");
        assertEquals(1, Collections.frequency(a, "-netdev"), "one user-mode network carries every forward");
    }

    @Test
    void linuxKvmUsesTheHostsCpuAndAChosenModelWins() {
        List<String> a = QemuCommandLine.build(spec(Accelerator.KVM, null, 0), HostOs.LINUX, FORWARDS,
                QemuCommandLine.Control.unix(Path.of("/q.sock")), Path.of("/q.pid"));
        assertEquals("kvm", after(a, "-accel"));
        assertEquals("host", after(a, "-cpu"));
        assertEquals("qemu64", after(QemuCommandLine.build(spec(Accelerator.KVM, "qemu64", 0), HostOs.LINUX, FORWARDS,
                QemuCommandLine.Control.unix(Path.of("/q.sock")), Path.of("/q.pid")), "-cpu"));
    }

    @Test
    void macosUsesHvfAndTheHostCpuWithoutAvx512vl() {
        List<String> a = QemuCommandLine.build(spec(Accelerator.HVF, null, 0), HostOs.MACOS, FORWARDS,
                QemuCommandLine.Control.unix(Path.of("/Users/u/.mosvm/a/qmp.sock")), Path.of("/Users/u/.mosvm/a/qemu.pid"));
        assertEquals("qemu-system-x86_64", a.get(0));
        assertEquals("hvf", after(a, "-accel"));
        assertEquals("host,-avx512vl", after(a, "-cpu"));
        assertTrue(a.contains("-daemonize"));
        assertEquals("unix:/Users/u/.mosvm/a/qmp.sock,server=on,wait=off", after(a, "-qmp"));
    }

    @Test
    void windowsUsesWhpxFallingBackToTcgQmpOnAUnixSocketAndNoDaemonize() {
        Path dir = Path.of("C:\\Users\\u\\.mosvm\\a");
        List<String> a = QemuCommandLine.build(spec(Accelerator.WHPX, null, 0), HostOs.WINDOWS, FORWARDS,
                QemuCommandLine.Control.unix(dir.resolve("qmp.sock")), dir.resolve("qemu.pid"));
        assertEquals("qemu-system-x86_64.exe", a.get(0));
        int first = a.indexOf("-accel");
        assertEquals("whpx,kernel-irqchip=off", a.get(first + 1));
        assertEquals("tcg,tb-size=256", a.get(a.subList(first + 1, a.size()).indexOf("-accel") + first + 2),
                "the man page: several -accel options are tried in order");
        assertEquals("unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off", after(a, "-qmp"), "never loopback TCP: any local user could use it");
        assertEquals("max", after(a, "-cpu"), "WHPX, like its TCG fallback, refuses -cpu host (KVM and HVF only)");
        assertFalse(a.contains("-daemonize"), "not supported on Windows: the driver detaches QEMU itself");
        assertEquals(1, Collections.frequency(a, "-pidfile"));
    }

    @Test
    void theRtcStartsAtTheHostsUtcOrThatPlusTheOffset() {
        Instant at = Instant.parse("2026-12-06T03:40:10.700Z");
        assertEquals(List.of("-rtc", "base=utc,clock=host"), QemuCommandLine.rtc(0, at));
        assertEquals(List.of("-rtc", "base=2026-12-06T03:41:40,clock=host"), QemuCommandLine.rtc(90, at));
        assertEquals(List.of("-rtc", "base=2026-12-06T03:38:40,clock=host"), QemuCommandLine.rtc(-90, at));
    }

    @Test
    void forwardsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new QemuCommandLine.Forward("sctp", "", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new QemuCommandLine.Forward("tcp", "", 0, 22));
        assertThrows(IllegalArgumentException.class, () -> new QemuCommandLine.Forward("tcp", "", 70000, 22));
    }

    @Test
    void hostOsFromJavasOsName() {
        assertEquals(HostOs.LINUX, HostOs.of("Linux"));
        assertEquals(HostOs.MACOS, HostOs.of("Mac OS X"));
        assertEquals(HostOs.WINDOWS, HostOs.of("Windows 11"));
    }
}

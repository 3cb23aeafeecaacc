package dev.mosvm.manager.hypervisor.qemu;

import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.VmSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The QEMU command line that boots the appliance without libvirt: the same machine as
 * {@code DomainXml} describes (direct kernel boot, the disk overlay, fw_cfg files, virtio
 * network, balloon and RNG, the serial console to a file), with user-mode networking, which
 * needs no rights on the host, and the guest's ports forwarded to loopback (the host's own
 * access) and to the host's LAN address (other workstations'), and QMP for control. Pure: the spec, the host and the forwards in, the argument list out.
 */
public final class QemuCommandLine {
    /** The guest's address on QEMU's user-mode network (its DHCP hands out .15 first). */
    public static final String GUEST_ADDRESS = "10.0.2.15";
    private static final DateTimeFormatter RTC_BASE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private QemuCommandLine() {}

    /** A forward of host port {@code hostPort} on {@code hostAddress} to the guest's {@code guestPort}. */
    public record Forward(String protocol, String hostAddress, int hostPort, int guestPort) {
        public Forward {
            if (!protocol.equals("tcp") && !protocol.equals("udp")) throw new IllegalArgumentException("forward protocol " + protocol);
            if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) throw new IllegalArgumentException("forward port out of range");
        }

        String option() {
            return "hostfwd=" + protocol + ":" + hostAddress + ":" + hostPort + "-" + GUEST_ADDRESS + ":" + guestPort;
        }
    }

    /**
     * QEMU's control socket: a Unix socket in the instance directory, which only its owner can
     * reach, on every host (QEMU has AF_UNIX on Windows since 7.1, Windows since 10 1803). Never
     * loopback TCP: any local user could drive the VM through it.
     */
    public record Control(Path unixSocket) {
        public static Control unix(Path socket) {
            return new Control(socket);
        }

        String option() {
            return "unix:" + unixSocket + ",server=on,wait=off";
        }
    }

    /**
     * The arguments (binary first) to boot {@code s} on {@code os}, but for the RTC's, which
     * depend on when it starts ({@link #rtc}).
     *
     * @param pidFile where QEMU writes its process id
     */
    public static List<String> build(VmSpec s, HostOs os, List<Forward> forwards, Control control, Path pidFile) {
        List<String> a = new ArrayList<>();
        a.add(os.qemuBinary());
        a.addAll(List.of("-name", "guest=" + s.vm() + ",process=" + s.vm()));
        a.addAll(List.of("-uuid", s.uuid()));
        a.addAll(machine(s.accel(), os));
        a.addAll(List.of("-cpu", cpu(s, os)));
        a.addAll(List.of("-smp", Integer.toString(s.cpus()), "-m", s.memoryMiB() + "M"));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none"));
        a.addAll(List.of("-kernel", s.kernel().toString(), "-initrd", s.initrd().toString(), "-append", s.cmdline()));
        a.addAll(List.of("-drive", "file=" + s.disk() + ",if=virtio,format=qcow2,discard=unmap"));
        StringBuilder net = new StringBuilder("user,id=n0");
        for (Forward f : forwards) net.append(',').append(f.option());
        a.addAll(List.of("-netdev", net.toString(), "-device", "virtio-net-pci,netdev=n0,mac=" + s.mac()));
        for (Map.Entry<String, Path> e : s.firmwareFiles().entrySet()) a.addAll(List.of("-fw_cfg", "name=" + e.getKey() + ",file=" + e.getValue()));
        a.addAll(List.of("-serial", "file:" + s.serialLog()));
        a.addAll(List.of("-device", "virtio-balloon-pci", "-device", "virtio-rng-pci"));
        a.addAll(List.of("-qmp", control.option()));
        a.addAll(List.of("-pidfile", pidFile.toString()));
        if (os.daemonizes()) a.add("-daemonize");
        return a;
    }

    /**
     * The RTC's arguments for a QEMU started at {@code startedAt}: the host's UTC, or that plus
     * {@code offsetSeconds} (QEMU takes only an absolute base; it then runs on with the host's clock).
     */
    public static List<String> rtc(long offsetSeconds, Instant startedAt) {
        return List.of("-rtc", "base=" + (offsetSeconds == 0 ? "utc"
                : RTC_BASE.format(startedAt.plusSeconds(offsetSeconds).truncatedTo(ChronoUnit.SECONDS))) + ",clock=host");
    }

    /**
     * The machine and accelerator. Under TCG the translation cache is bounded (QEMU's default is
     * a gigabyte, as libvirt's {@code tb-cache} bounds it too); WHPX gets TCG as a fallback,
     * which QEMU takes if the Windows Hypervisor Platform is off.
     */
    static List<String> machine(Accelerator accel, HostOs os) {
        return switch (accel) {
            case TCG -> List.of("-machine", "pc", "-accel", "tcg,tb-size=256");
            case KVM -> List.of("-machine", "pc", "-accel", "kvm");
            case HVF -> List.of("-machine", "pc", "-accel", "hvf");
            case WHPX -> List.of("-machine", "pc", "-accel", "whpx,kernel-irqchip=off", "-accel", "tcg,tb-size=256");
        };
    }

    /**
     * The CPU model: the one asked for; else the host's under KVM and HVF (on an Intel Mac
     * without AVX-512's VL subset, which HVF mishandles, as Lima finds); else {@code max}:
     * everything TCG emulates (AES-NI above all, as in {@code DomainXml}), and what WHPX takes,
     * which refuses {@code host} (QEMU allows it under KVM and HVF only), as does its TCG fallback.
     */
    static String cpu(VmSpec s, HostOs os) {
        if (s.cpuModel() != null) return s.cpuModel();
        return switch (s.accel()) {
            case KVM -> "host";
            case HVF -> os == HostOs.MACOS ? "host,-avx512vl" : "host";
            case TCG, WHPX -> "max";
        };
    }
}

package dev.mosvm.manager.hypervisor;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides KVM or TCG. /dev/kvm existing is not enough: on some hosts it is backed by
 * kvm_pvm, which runs only specially built kernels and makes a stock guest spin silently.
 * So KVM is used only when the CPU has VMX/SVM and the appliance kernel, started under
 * KVM, prints its banner within a few seconds. The verdict is cached per boot.
 */
public final class AcceleratorProbe {
    static final long PROBE_MILLIS = 4000;
    private final Path cacheDir;
    private final Path kernel;

    public record Decision(Accelerator accel, String warning) {}

    public AcceleratorProbe(Path cacheDir, Path kernel) {
        this.cacheDir = cacheDir;
        this.kernel = kernel;
    }

    /**
     * The accelerator on {@code os}: on Linux as {@link #decide(String)}; on macOS HVF where the
     * hypervisor framework is there ({@code sysctl kern.hv_support}); on Windows WHPX, which
     * QEMU's command line backs with TCG where the Windows Hypervisor Platform is off.
     */
    public Decision decide(String requested, dev.mosvm.manager.hypervisor.qemu.HostOs os) {
        return switch (os) {
            case LINUX -> decide(requested);
            case MACOS -> decideElsewhere(os, requested, macHypervisorSupport() && !sysctl("hw.optional.arm64").equals("1"));
            case WINDOWS -> decideElsewhere(os, requested, true);
        };
    }

    /** Pure: macOS and Windows, given whether the host's hypervisor is there. */
    static Decision decideElsewhere(dev.mosvm.manager.hypervisor.qemu.HostOs os, String requested, boolean hypervisor) {
        Accelerator hw = os == dev.mosvm.manager.hypervisor.qemu.HostOs.MACOS ? Accelerator.HVF : Accelerator.WHPX;
        if (requested.equals("tcg")) return new Decision(Accelerator.TCG, null);
        if (requested.equals(hw.cliName()) || requested.equals("auto")) {
            if (hypervisor) {
                return new Decision(hw, hw == Accelerator.WHPX && requested.equals("auto")
                        ? "note: WHPX needs the Windows Hypervisor Platform; where it is off QEMU runs the appliance under TCG, much slower" : null);
            }
            if (requested.equals("auto")) {
                return new Decision(Accelerator.TCG, "warning: HVF cannot run the x86-64 appliance here (no hypervisor framework, "
                        + "or an Apple-silicon Mac); using TCG software emulation, which is slower");
            }
            throw new MosvmException(ExitCodes.ENVIRONMENT, "--accel hvf: HVF cannot run the x86-64 appliance on this Mac "
                    + "(no hypervisor framework, or Apple silicon, whose HVF runs arm64 guests only)", "use --accel tcg or --accel auto");
        }
        throw MosvmException.invalid("invalid --accel '" + requested + "' on " + os.name().toLowerCase(java.util.Locale.ROOT)
                + ": use auto, " + hw.cliName() + " or tcg");
    }

    private static boolean macHypervisorSupport() {
        return sysctl("kern.hv_support").equals("1");
    }

    /** A sysctl's value ("" if there is none): os.arch says x86_64 under Rosetta, sysctl tells the hardware. */
    private static String sysctl(String name) {
        try {
            Process p = new ProcessBuilder("sysctl", "-n", name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    public Decision decide(String requested) {
        switch (requested) {
            case "tcg":
                return new Decision(Accelerator.TCG, null);
            case "kvm": {
                String why = kvmUnusableReason();
                if (why != null) {
                    throw new MosvmException(ExitCodes.ENVIRONMENT, "--accel kvm: KVM cannot run the appliance here: " + why,
                            "use --accel tcg (software emulation) or --accel auto");
                }
                return new Decision(Accelerator.KVM, null);
            }
            case "auto": {
                String why = kvmUnusableReason();
                return why == null ? new Decision(Accelerator.KVM, null)
                        : new Decision(Accelerator.TCG, "warning: KVM unusable (" + why + "); using TCG software emulation, which is slower");
            }
            default:
                throw MosvmException.invalid("invalid --accel '" + requested + "': use auto, kvm or tcg");
        }
    }

    /** Null when KVM runs stock guests; otherwise why not. */
    String kvmUnusableReason() {
        Path dev = Path.of("/dev/kvm");
        if (!Files.exists(dev)) return "no /dev/kvm";
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) return "no permission on /dev/kvm";
        String cpuinfo = read(Path.of("/proc/cpuinfo"));
        boolean pvm = Files.exists(Path.of("/sys/module/kvm_pvm"));
        if (!cpuinfo.matches("(?s).*\\b(vmx|svm)\\b.*")) {
            return pvm ? "/dev/kvm is kvm_pvm, which cannot run stock kernels, and the CPU has no VMX/SVM"
                    : "the CPU has no VMX/SVM";
        }
        return cachedProbe();
    }

    private String cachedProbe() {
        String bootId = read(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        Path stamp = cacheDir.resolve("kvm-probe-" + bootId);
        if (Files.isRegularFile(stamp)) {
            String v = read(stamp).strip();
            return v.equals("ok") ? null : v;
        }
        String verdict = runProbe();
        try {
            // written aside and moved in whole: an `up` beside this one may be reading the stamp
            Files.createDirectories(cacheDir);
            Path part = Files.createTempFile(cacheDir, stamp.getFileName().toString(), ".part");
            Files.writeString(part, verdict == null ? "ok" : verdict);
            Files.move(part, stamp, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ignored) {
            // not caching only costs a few seconds next time
        }
        return verdict;
    }

    /** Boots the appliance kernel under KVM with no disk; a working KVM prints the banner at once. */
    private String runProbe() {
        Path out = null;
        Process p = null;
        try {
            out = Files.createTempFile("mosvm-kvm-probe", ".log");
            p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "kvm", "-machine", "pc", "-m", "256",
                    "-nodefaults", "-display", "none", "-no-reboot", "-kernel", kernel.toString(),
                    "-append", "console=ttyS0 panic=-1", "-serial", "file:" + out))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.currentTimeMillis() + PROBE_MILLIS;
            while (System.currentTimeMillis() < deadline) {
                if (read(out).contains("Linux version")) return null;
                if (!p.isAlive()) return "QEMU exited (" + p.exitValue() + ") when started with -accel kvm";
                Thread.sleep(100);
            }
            return "a stock kernel printed nothing in " + PROBE_MILLIS / 1000 + " s under KVM"
                    + (Files.exists(Path.of("/sys/module/kvm_pvm")) ? " (kvm_pvm)" : "");
        } catch (IOException e) {
            return "could not run qemu-system-x86_64: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (out != null) out.toFile().delete();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}

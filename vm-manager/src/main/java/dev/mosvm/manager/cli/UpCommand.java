package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentFacts;
import dev.mosvm.manager.appliance.UpRequest;
import dev.mosvm.manager.appliance.UpResult;
import dev.mosvm.manager.hostfolders.FolderSettings;
import dev.mosvm.manager.hostfolders.HostFolder;
import dev.mosvm.manager.hostfolders.HostFolders;
import dev.mosvm.manager.hostfolders.HostUser;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.instance.InstanceNames;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Create (or restart) an appliance VM and wait until its guest agent answers.",
                "The first run builds the appliance image (a few minutes; needs root); later runs reuse it."})
final class UpCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = InstanceNames.DEFAULT, paramLabel = "NAME",
            description = "Instance name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--cpus", paramLabel = "N", description = "Virtual CPUs (default: " + UpRequest.DEFAULT_CPUS + ").")
    Integer cpus;

    @Option(names = "--memory", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Guest memory, e.g. 512M or 1G (default: " + UpRequest.DEFAULT_MEMORY_MIB + "M).")
    Long memoryMiB;

    @Option(names = "--cpu-cap", paramLabel = "PERCENT",
            description = "Let the VM use at most PERCENT of each host CPU it runs on (1-100; libvirt cputune quota; the qemu driver tells the agent but does not enforce it). "
                    + "The pool sees the node as that much slower. Can change at each start (default: no cap).")
    Integer cpuCap;

    @Option(names = "--cpu-model", paramLabel = "MODEL",
            description = "Present this QEMU CPU model (e.g. qemu64, Nehalem) instead of the default (under TCG everything QEMU "
                    + "emulates, under KVM the host's model), to try a pool of unequal CPUs: the migration gate refuses to move a job "
                    + "to a CPU lacking features it uses. Set when the instance is created.")
    String cpuModel;

    @Option(names = "--clock-offset", paramLabel = "SECONDS",
            description = "Run the VM's clock SECONDS off the host's (negative: behind), as a workstation whose clock is wrong: "
                    + "to try on one machine a pool whose members' clocks disagree (members keep the pool's time, docs/gossip.md). "
                    + "Set when the instance is created (default: 0).")
    Integer clockOffset;

    @Option(names = "--driver", paramLabel = "libvirt|qemu",
            description = "Hypervisor driver: libvirt (Linux, its system daemon) or qemu (QEMU run directly, user-mode networking: "
                    + "macOS, Windows, or no libvirtd). Default: libvirt where it answers, else qemu. Set when the instance is created.")
    String driver;

    @Option(names = "--endpoint", paramLabel = "HOST:PORT|none|auto",
            description = {"Tell other workstations' appliances to reach this one's WireGuard port at HOST:PORT (a host name or IPv4 "
                    + "address, e.g. a router's public address whose UDP PORT is forwarded here), instead of the host's LAN address and the "
                    + "UDP port forwarded there (qemu driver) or the appliance's own address (libvirt).",
                    "none: nothing reaches this workstation from outside (a NAT that forwards nothing); it calls the others, and members "
                    + "that are unreachable too are relayed through a reachable member.",
                    "Kept with the instance for later starts; auto goes back to the one mosvm finds."})
    String endpoint;

    @Option(names = "--mount", paramLabel = "DIR[:ro|rw]",
            description = {"Show this workstation folder in the appliance at the same path, read-only (:ro, the default) or writable (:rw); "
                    + "repeat for more. Jobs started in it see it on every node of the pool, and `mosvm run` from it runs there as your "
                    + "user. A running appliance takes the new folders at once.",
                    "Kept for later starts; the first `up` without --mount shows your home read-only to your jobs at home; --mount none shows nothing."})
    java.util.List<String> mounts = new java.util.ArrayList<>();

    @Option(names = "--accel", paramLabel = "auto|kvm|hvf|whpx|tcg", defaultValue = "auto",
            description = "Accelerator: auto uses KVM (Linux) only where it really runs guests, HVF on macOS, WHPX on Windows, "
                    + "else TCG (default: ${DEFAULT-VALUE}).")
    String accel;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "How long to wait for the agent (default: 300 under TCG, 120 under KVM).")
    Integer timeout;

    @Mixin JsonOutput output;

    @Override
    public Integer call() throws Exception {
        if (cpuCap != null && (cpuCap < 1 || cpuCap > 100)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cpu-cap must be between 1 and 100 (percent), not " + cpuCap);
        }
        if (cpuModel != null && !cpuModel.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--cpu-model must be a QEMU CPU model name such as qemu64, not '" + cpuModel + "'");
        }
        if (clockOffset != null && Math.abs(clockOffset) > UpRequest.MAX_CLOCK_OFFSET_SECONDS) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--clock-offset must be within a day ("
                    + UpRequest.MAX_CLOCK_OFFSET_SECONDS + " s) either way, not " + clockOffset);
        }
        UpRequest.checkEndpoint(endpoint); // before anything is made
        HostUser user = HostUser.current();
        // checked on the host before anything starts: the folders, and what serving them needs
        FolderSettings wanted = mounts.isEmpty() ? null : HostFolders.settingsFor(mounts, user);
        if (wanted != null) HostFolders.checkHost(wanted);
        dev.mosvm.manager.instance.InstanceNames.validate(name);
        try (Hypervisor hv = root.connect()) {
            HostFolders folders = root.folders(hv);
            if (wanted != null && running(hv)) { // new folders for a running appliance: no restart
                List<HostFolder> mounted = remount(folders, wanted);
                output.print(spec, new LiveFolders(name, mounted.stream().map(HostFolder::spec).toList()), out -> out.println(name
                        + " already runs; " + (mounted.isEmpty() ? "no host folders" : "host folders " + String.join(", ", mounted.stream().map(HostFolder::spec).toList()))));
                return 0;
            }
            boolean first = !root.store().exists(name) || folders.settings(name).isEmpty();
            FolderSettings chosen = wanted != null ? wanted : first ? HostFolders.settingsFor(List.of(), user) : null;
            UpResult r = root.lifecycle(hv, spec).up(new UpRequest(name, cpus, memoryMiB, accel.toLowerCase(Locale.ROOT),
                    timeout == null ? null : Duration.ofSeconds(timeout), cpuCap, cpuModel, clockOffset, driver, endpoint));
            if (chosen != null) folders.save(name, chosen);
            List<HostFolder> mounted = folders.mount(name);
            output.print(spec, r, out -> {
                print(out, r);
                if (!mounted.isEmpty()) out.println("  folders   " + String.join(", ", mounted.stream().map(HostFolder::spec).toList()));
            });
        }
        return 0;
    }

    /** What `up --mount` on a running appliance prints with --json. */
    record LiveFolders(String name, List<String> folders) {}

    /** New folders for a running appliance; if they do not mount, the ones it had are put back (and the error stands). */
    private List<HostFolder> remount(HostFolders folders, FolderSettings wanted) throws Exception {
        java.util.Optional<FolderSettings> before = folders.settings(name);
        folders.save(name, wanted);
        try {
            return folders.mount(name);
        } catch (RuntimeException e) {
            if (before.isPresent()) {
                folders.save(name, before.get());
                try {
                    folders.mount(name);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    private boolean running(Hypervisor hv) {
        dev.mosvm.manager.instance.InstanceNames.validate(name);
        return root.store().exists(name) && hv.state(dev.mosvm.manager.instance.InstanceConfig.domainName(name)) == dev.mosvm.manager.hypervisor.VmState.RUNNING;
    }

    static void print(PrintWriter out, UpResult r) {
        AgentFacts f = r.facts();
        UpResult.Timings t = r.timings();
        out.printf(Locale.ROOT, "%s is ready at %s (%s, %.1f s from start)%n", r.name(), r.address(),
                r.accel().toUpperCase(Locale.ROOT), t.startToReady());
        StatusCommand.printPeerAccess(out, r.forwards(), r.endpoint());
        StatusCommand.printFacts(out, f);
        out.printf(Locale.ROOT, "  timings   image %.1f s, define %.2f s, start %.2f s, kernel to userland %.1f s, "
                + "userland to agent ready %.1f s%n", t.image(), t.define(), t.start(), t.bootToUserland(), t.userlandToAgentReady());
    }
}

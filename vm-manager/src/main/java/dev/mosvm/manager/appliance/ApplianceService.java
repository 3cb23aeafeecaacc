package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.builder.ApplianceBuilder;
import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.BuildException;
import dev.mosvm.builder.ImageCache;
import dev.mosvm.builder.ProcessRunner;
import dev.mosvm.builder.ProgressListener;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.AcceleratorProbe;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.VmSpec;
import dev.mosvm.manager.hypervisor.VmState;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceNames;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The appliance lifecycle: up, down, destroy, inspect. Commands only parse and print. */
public final class ApplianceService {
    static final String NETWORK = "default";
    private final InstanceStore store;
    private final Hypervisor hv;
    private final Reporter out;

    public ApplianceService(InstanceStore store, Hypervisor hv, Reporter out) {
        this.store = store;
        this.hv = hv;
        this.out = out;
    }

    // ---------------------------------------------------------------- up

    public UpResult up(UpRequest req) throws IOException, InterruptedException {
        String name = InstanceNames.validate(req.name());
        if (hv.describe().startsWith("qemu:///session")) {
            // The session daemon has no virbr0: the host could not reach the guest's agent.
            throw new MosvmException(ExitCodes.ENVIRONMENT, "mosvm up needs libvirt's system daemon and its default network; "
                    + hv.describe() + " has no network the host can reach guests on",
                    "run as root, or join the 'libvirt' group and set LIBVIRT_DEFAULT_URI=qemu:///system");
        }
        if (req.cpus() != null && (req.cpus() < 1 || req.cpus() > Runtime.getRuntime().availableProcessors())) {
            throw MosvmException.invalid("invalid --cpus " + req.cpus() + ": this host has "
                    + Runtime.getRuntime().availableProcessors() + " CPU(s)");
        }
        if (req.memoryMiB() != null && req.memoryMiB() < UpRequest.MIN_MEMORY_MIB) {
            throw MosvmException.invalid("invalid --memory " + req.memoryMiB() + "M: the appliance needs at least "
                    + UpRequest.MIN_MEMORY_MIB + "M");
        }
        Optional<InstanceConfig> existing = store.exists(name) ? store.load(name) : Optional.empty();
        String vm = InstanceConfig.domainName(name);
        if (store.exists(name) && existing.isEmpty()) {
            throw MosvmException.state("instance '" + name + "' is broken (no " + InstanceLayout.CONFIG + ")",
                    "remove it with `mosvm destroy " + name + "`");
        }
        if (existing.isEmpty() && hv.state(vm) != VmState.ABSENT) {
            throw MosvmException.state("a libvirt domain named " + vm + " already exists but has no instance directory",
                    "remove it with `mosvm destroy " + name + "`");
        }
        if (existing.isPresent() && !hv.state(vm).isOff()) {
            throw MosvmException.state("instance '" + name + "' already exists and is " + hv.state(vm).name().toLowerCase(),
                    "use `mosvm status " + name + "`, or pick another name");
        }

        long t0 = System.nanoTime();
        ApplianceImage image = existing.isPresent() ? existingImage(existing.get()) : obtainImage();
        verify(image);
        double imageSecs = secs(t0);

        InstanceConfig cfg;
        boolean created = existing.isEmpty();
        long t1 = System.nanoTime();
        if (created) {
            AcceleratorProbe.Decision accel = new AcceleratorProbe(store.home().cache(), image.kernel())
                    .decide(req.accel() == null ? "auto" : req.accel());
            if (accel.warning() != null) out.warn(accel.warning());
            cfg = new InstanceConfig(name, req.cpus() == null ? UpRequest.DEFAULT_CPUS : req.cpus(),
                    req.memoryMiB() == null ? UpRequest.DEFAULT_MEMORY_MIB : req.memoryMiB(), accel.accel().cliName(),
                    image.key(), image.dir().toString(), randomMac(), java.util.UUID.randomUUID().toString(), hv.describe(), Instant.now().toString(),
                    req.cpuCap(), req.cpuModel());
            createInstance(cfg, image);
        } else {
            cfg = existing.get();
            if (req.cpuCap() != null && req.cpuCap() != cfg.cpuCapPercent()) {
                cfg = cfg.withCpuCap(req.cpuCap());
                store.save(cfg);
            }
            if ((req.cpus() != null && req.cpus() != cfg.cpus()) || (req.memoryMiB() != null && req.memoryMiB() != cfg.memoryMiB())
                    || (req.cpuModel() != null && !req.cpuModel().equals(cfg.cpuModel()))) {
                out.warn("warning: instance '" + name + "' keeps its settings (" + cfg.cpus() + " CPU, " + cfg.memoryMiB()
                        + " MiB" + (cfg.cpuModel() != null ? ", CPU model " + cfg.cpuModel() : "") + "); destroy and recreate it to change them");
            }
        }
        InstanceLayout layout = store.layout(name);
        String definition;
        try {
            Path userKey = sshKeys(layout);
            definition = hv.define(spec(cfg, image, layout, SshKeys.publicKeyOf(userKey)));
        } catch (RuntimeException | IOException e) { // a failed first `up` leaves no half-made instance behind
            if (created) cleanupAfterFailedCreate(name, vm);
            throw e;
        }
        Files.writeString(layout.domainXml(), definition);
        double defineSecs = secs(t1);

        out.progress("Starting " + name + " (" + cfg.accel().toUpperCase() + ", " + cfg.cpus() + " CPU"
                + (cfg.cpuCapPercent() < 100 ? " capped at " + cfg.cpuCapPercent() + " %" : "") + (cfg.cpuModel() != null ? ", CPU " + cfg.cpuModel() : "")
                + ", " + cfg.memoryMiB() + " MiB)");
        long t2 = System.nanoTime();
        Files.deleteIfExists(layout.sshControl()); // a shared connection to the guest's last run
        try {
            hv.start(vm);
        } catch (RuntimeException e) {
            if (created) cleanupAfterFailedCreate(name, vm);
            throw e;
        }
        double startSecs = secs(t2);

        AgentFacts[] facts = new AgentFacts[1];
        String[] address = new String[1];
        List<Requirement> reqs = List.of(
                new Requirement("domain running", () -> running(vm), "see libvirt's log: /var/log/libvirt/qemu/" + vm + ".log"),
                new Requirement("DHCP address on network '" + NETWORK + "'", () -> {
                    running(vm);
                    address[0] = hv.address(vm).orElse(null);
                    return address[0] != null;
                }, "is the guest's network up? the serial log shows systemd-networkd"),
                new Requirement("guest agent answers (authenticated)", () -> {
                    running(vm);
                    facts[0] = clientAt(layout, address[0], Duration.ofSeconds(5), true).facts();
                    return true;
                }, "the agent logs to the serial console"));
        Duration timeout = req.timeout() != null ? req.timeout()
                : Duration.ofSeconds(Accelerator.TCG.cliName().equals(cfg.accel()) ? 300 : 120);
        ReadinessWait.Outcome outcome = ReadinessWait.await(reqs, timeout, Duration.ofMillis(500),
                (i, n, d, s) -> out.progress(String.format("  [%d/%d] %s (%.1f s)", i, n, d, s)));
        if (!outcome.ready()) {
            String state = hv.state(vm).name();
            hv.powerOff(vm);
            throw new MosvmException(ExitCodes.FAILED, "appliance '" + name + "' did not become ready: requirement "
                    + outcome.unmetIndex() + " of " + reqs.size() + " (" + outcome.unmet().description() + ") not met: "
                    + outcome.reason() + "; domain was " + state + ", now powered off",
                    outcome.unmet().hint() + "\nlast lines of the serial console (" + layout.serialLog() + "):\n"
                            + SerialLog.tail(layout.serialLog(), 20)
                            + "\nretry with `mosvm up " + name + "` or remove it with `mosvm destroy " + name + "`");
        }
        double readySecs = secs(t2);
        AgentFacts f = facts[0];
        double userland = f.boot() == null ? -1 : f.boot().userlandAt();
        double agentReady = f.boot() == null ? -1 : f.boot().agentReadyAt() - f.boot().userlandAt();
        UpResult result = new UpResult(name, address[0], cfg.accel(), f,
                new UpResult.Timings(imageSecs, defineSecs, startSecs, userland, agentReady, readySecs));
        Files.writeString(layout.timings(), Json.pretty(result.timings()));
        return result;
    }

    private boolean running(String vm) throws ReadinessWait.Fatal {
        VmState s = hv.state(vm);
        if (s.isOff()) throw new ReadinessWait.Fatal("the VM stopped during boot (state " + s + ")");
        return s == VmState.RUNNING;
    }

    private ApplianceImage obtainImage() throws IOException, InterruptedException {
        ApplianceBuilder builder = new ApplianceBuilder(new ImageCache(store.home().cache()));
        try {
            Optional<ApplianceImage> hit = builder.cached(store.home().recipe(), store.home().agentJar());
            if (hit.isPresent()) return hit.get();
            out.progress("Building the appliance image (first run only; cached in " + store.home().cache() + ")");
            return builder.obtain(store.home().recipe(), store.home().agentJar(), false, buildProgress(out));
        } catch (BuildException e) {
            throw new MosvmException(ExitCodes.FAILED, e.getMessage(), e.hint(), e);
        }
    }

    private static void verify(ApplianceImage image) throws IOException {
        try {
            ImageCache.verify(image);
        } catch (BuildException e) {
            throw new MosvmException(ExitCodes.BAD_STATE, e.getMessage(), e.hint(), e);
        }
    }

    private ApplianceImage existingImage(InstanceConfig cfg) throws IOException {
        Optional<ApplianceImage> img = new ImageCache(Path.of(cfg.imageDir()).getParent().getParent()).find(cfg.imageKey());
        if (img.isEmpty()) {
            throw MosvmException.state("the base image of instance '" + cfg.name() + "' (" + cfg.imageKey()
                    + ") is missing from " + cfg.imageDir(), "its disk overlay needs it; `mosvm destroy " + cfg.name()
                    + "` and `mosvm up` again to use a new image");
        }
        return img.get();
    }

    public static ProgressListener buildProgress(Reporter out) {
        return new ProgressListener() {
            @Override public void stepStarted(int i, int n, String d) { out.progress("  [" + i + "/" + n + "] " + d + " ..."); }
            @Override public void detail(String line) { out.progress("        " + line); }
            @Override public void stepFinished(int i, int n, String d, long ms) {
                out.progress(String.format("  [%d/%d] %s: done in %.1f s", i, n, d, ms / 1000.0));
            }
        };
    }

    private void createInstance(InstanceConfig cfg, ApplianceImage image) throws IOException, InterruptedException {
        InstanceLayout l = store.create(cfg.name());
        try {
            ProcessRunner.Result r = ProcessRunner.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                    "-b", image.disk().toString(), l.disk().toString()), line -> {});
            if (r.exit() != 0) {
                throw new MosvmException(ExitCodes.FAILED, "cannot create the disk overlay: " + r.tailText(), null);
            }
            GuestIdentity id = GuestIdentity.generate(cfg.name());
            InstanceStore.writePrivate(l.guestConfig(), Json.MAPPER.writeValueAsString(id.guestConfig()));
            Files.writeString(l.agentCert(), id.certificatePem());
            store.save(cfg);
        } catch (IOException | InterruptedException | RuntimeException e) {
            store.delete(cfg.name());
            throw e;
        }
    }

    private void cleanupAfterFailedCreate(String name, String vm) {
        try {
            hv.powerOff(vm);
            hv.undefine(vm);
            store.delete(name);
        } catch (Exception e) {
            out.warn("warning: cleanup after the failed start was incomplete: " + e.getMessage());
        }
    }

    /**
     * The user's key (made once for all instances) and this instance's host key, pinned in its
     * known_hosts; instances made before SSH existed get theirs at their next `up`.
     */
    private Path sshKeys(InstanceLayout l) throws IOException {
        Path userKey = store.home().userKey();
        SshKeys.ensure(userKey, "mosvm");
        String host = SshKeys.ensure(l.sshHostKey(), SshKeys.hostAlias(l.name()));
        Files.writeString(l.knownHosts(), SshKeys.hostAlias(l.name()) + " " + host.substring(0, host.lastIndexOf(' ')) + "\n");
        return userKey;
    }

    static VmSpec spec(InstanceConfig cfg, ApplianceImage image, InstanceLayout l, Path authorizedKeys) {
        // the agent scales its measured speed by the cap (too short a benchmark to see a quota)
        String cmdline = image.manifest().kernelCmdline() + " systemd.hostname=" + cfg.name()
                + (cfg.cpuCapPercent() < 100 ? " mosvm.cpu_cap=" + cfg.cpuCapPercent() : "");
        Map<String, Path> fwCfg = new LinkedHashMap<>();
        fwCfg.put(AgentProtocol.FW_CFG_NAME, l.guestConfig());
        fwCfg.put(AgentProtocol.FW_CFG_SSH_HOST_KEY, l.sshHostKey());
        fwCfg.put(AgentProtocol.FW_CFG_AUTHORIZED_KEYS, authorizedKeys);
        return new VmSpec(cfg.domainName(), cfg.uuid(), cfg.name(), cfg.cpus(), cfg.memoryMiB(),
                Accelerator.valueOf(cfg.accel().toUpperCase()), image.kernel(), image.initrd(), cmdline, l.disk(), cfg.mac(),
                NETWORK, l.serialLog(), fwCfg, l.dir(), cfg.cpuCapPercent(), cfg.cpuModel());
    }

    static String randomMac() {
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        return String.format("52:54:00:%02x:%02x:%02x", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
    }

    private static double secs(long since) {
        return Math.round((System.nanoTime() - since) / 1e7) / 100.0;
    }

    // ---------------------------------------------------------------- agent access

    /** A client for a running instance's agent (address from the DHCP lease). */
    public AgentClient client(String name, Duration timeout, boolean withSecret) throws IOException {
        InstanceLayout l = requireInstance(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm) != VmState.RUNNING) throw MosvmException.state("instance '" + name + "' is not running", "start it: mosvm up " + name);
        String addr = hv.address(vm).orElseThrow(() -> MosvmException.state("instance '" + name + "' has no address yet", null));
        return clientAt(l, addr, timeout, withSecret);
    }

    /**
     * The ssh command line that reaches a running instance as root: the user's key, and the
     * instance's host key checked under its alias (strictly: a mismatch is refused).
     */
    public List<String> sshCommand(String name, boolean tty, List<String> command) throws IOException {
        InstanceLayout l = requireInstance(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm) != VmState.RUNNING) throw MosvmException.state("instance '" + name + "' is not running", "start it: mosvm up " + name);
        String addr = hv.address(vm).orElseThrow(() -> MosvmException.state("instance '" + name + "' has no address yet", null));
        if (!Files.isRegularFile(l.knownHosts())) {
            throw MosvmException.state("instance '" + name + "' was started before mosvm had SSH", "restart it: mosvm down " + name
                    + " && mosvm up " + name);
        }
        List<String> args = new ArrayList<>(List.of("ssh", "-i", store.home().userKey().toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + l.knownHosts(), "-o", "HostKeyAlias=" + SshKeys.hostAlias(name),
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30"));
        args.addAll(sharedConnection(l));
        if (tty) args.add("-t");
        args.add("root@" + addr);
        if (!command.isEmpty()) {
            // ssh hands the remote shell one string: quote each word so arguments arrive as given
            args.add("--");
            args.add(String.join(" ", command.stream().map(ApplianceService::shellQuote).toList()));
        }
        return args;
    }

    /**
     * One ssh connection per running instance, shared by the commands that follow for 60 s:
     * a key exchange costs an emulated guest a second or more of its CPU, which a saturated
     * node has least of. A master whose guest died is given up after 15 s without an answer,
     * and {@code up} removes its socket before the guest starts again. Socket paths are limited
     * to 104 bytes: a deeper instance directory goes without sharing.
     */
    static List<String> sharedConnection(InstanceLayout l) {
        String socket = l.sshControl().toAbsolutePath().toString();
        if (socket.length() > 100) return List.of();
        return List.of("-o", "ControlMaster=auto", "-o", "ControlPath=" + socket, "-o", "ControlPersist=60",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3");
    }

    static String shellQuote(String word) {
        return word.matches("[A-Za-z0-9_@%+=:,./-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    static AgentClient clientAt(InstanceLayout l, String address, Duration timeout, boolean withSecret) throws IOException {
        GuestConfig gc = Json.MAPPER.readValue(l.guestConfig().toFile(), GuestConfig.class);
        return new AgentClient(address, AgentProtocol.PORT, PinnedCertificateTrust.parsePem(Files.readString(l.agentCert())),
                withSecret ? gc.secret() : null, timeout);
    }

    public InstanceLayout layout(String name) {
        return requireInstance(name);
    }

    private InstanceLayout requireInstance(String name) {
        InstanceNames.validate(name);
        if (!store.exists(name)) {
            throw MosvmException.state("no instance named '" + name + "'", "see `mosvm list`");
        }
        return store.layout(name);
    }

    // ---------------------------------------------------------------- down / destroy

    /** Clean shutdown through the agent, then ACPI, then power off if it does not stop in time. */
    public String down(String name, Duration timeout) throws IOException, InterruptedException {
        requireInstance(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm).isOff()) return "instance '" + name + "' is already stopped";
        long deadline = System.nanoTime() + timeout.toNanos();
        String how;
        try {
            client(name, Duration.ofSeconds(5), true).shutdown();
            how = "shut down by its agent";
        } catch (AgentException | MosvmException e) {
            out.warn("warning: the agent did not take the shutdown request (" + e.getMessage() + "); sending ACPI power button");
            hv.requestShutdown(vm);
            how = "shut down by ACPI";
        }
        while (System.nanoTime() < deadline) {
            if (hv.state(vm).isOff()) return "instance '" + name + "' " + how;
            Thread.sleep(250);
        }
        hv.powerOff(vm);
        return "instance '" + name + "' did not stop within " + timeout.toSeconds() + " s; powered off";
    }

    /** Removes everything the instance made: VM (stopped first), disk, files. */
    public String destroy(String name) throws IOException {
        InstanceNames.validate(name);
        String vm = InstanceConfig.domainName(name);
        boolean hasDir = store.exists(name);
        boolean hasVm = hv.state(vm) != VmState.ABSENT;
        if (!hasDir && !hasVm) throw MosvmException.state("no instance named '" + name + "'", "see `mosvm list`");
        hv.powerOff(vm);
        hv.undefine(vm);
        store.delete(name);
        return "instance '" + name + "' destroyed";
    }

    // ---------------------------------------------------------------- inspect

    public List<InstanceView> list(boolean withFacts) throws IOException {
        Set<String> names = new LinkedHashSet<>(store.names());
        String prefix = InstanceConfig.domainPrefix();
        for (String vm : hv.managedVms()) {
            if (vm.startsWith(prefix)) names.add(vm.substring(prefix.length()));
        }
        List<InstanceView> out = new ArrayList<>();
        for (String n : names) out.add(inspect(n, withFacts));
        return out;
    }

    public InstanceView status(String name) throws IOException {
        InstanceNames.validate(name);
        if (!store.exists(name) && hv.state(InstanceConfig.domainName(name)) == VmState.ABSENT) {
            throw MosvmException.state("no instance named '" + name + "'", "see `mosvm list`");
        }
        return inspect(name, true);
    }

    InstanceView inspect(String name, boolean withFacts) throws IOException {
        String vm = InstanceConfig.domainName(name);
        List<String> errors = new ArrayList<>();
        Optional<InstanceConfig> cfg = Optional.empty();
        if (!store.exists(name)) {
            errors.add("libvirt domain " + vm + " exists but " + store.layout(name).dir() + " does not");
        } else {
            try {
                cfg = store.load(name);
                if (cfg.isEmpty()) errors.add("missing " + store.layout(name).config());
            } catch (IOException e) {
                errors.add("unreadable " + InstanceLayout.CONFIG + ": " + e.getMessage());
            }
        }
        VmState state = hv.state(vm);
        if (state == VmState.ABSENT && cfg.isPresent()) errors.add("libvirt domain " + vm + " is missing");
        if (cfg.isPresent() && !Files.isDirectory(Path.of(cfg.get().imageDir()))) {
            errors.add("base image " + cfg.get().imageDir() + " is missing");
        }
        String address = state == VmState.RUNNING ? hv.address(vm).orElse(null) : null;
        AgentFacts facts = null;
        if (withFacts && address != null && errors.isEmpty()) {
            try {
                facts = clientAt(store.layout(name), address, Duration.ofSeconds(5), true).facts();
            } catch (AgentException e) {
                errors.add("agent: " + e.getMessage());
            }
        }
        String shown = !errors.isEmpty() && !(errors.size() == 1 && errors.get(0).startsWith("agent:")) ? InstanceView.BROKEN
                : state == VmState.RUNNING ? InstanceView.RUNNING
                : state.isOff() ? InstanceView.STOPPED : state.name();
        return new InstanceView(name, shown, address,
                cfg.map(InstanceConfig::cpus).orElse(null), cfg.map(InstanceConfig::memoryMiB).orElse(null),
                cfg.map(InstanceConfig::accel).orElse(null), cfg.map(InstanceConfig::imageKey).orElse(null), vm,
                state == VmState.RUNNING && hv.hostRssKb(vm).isPresent() ? hv.hostRssKb(vm).getAsLong() : null,
                facts, errors.isEmpty() ? null : errors);
    }
}

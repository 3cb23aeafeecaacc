package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.builder.ApplianceBuilder;
import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.BuildException;
import dev.mosvm.builder.ImageCache;
import dev.mosvm.builder.ProcessRunner;
import dev.mosvm.builder.ProgressListener;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.Driver;
import dev.mosvm.manager.hypervisor.DriverRouter;
import dev.mosvm.manager.hypervisor.qemu.HostOs;
import dev.mosvm.manager.hypervisor.AcceleratorProbe;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.PeerForwards;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** An appliance's life: `up` (create or restart, then wait until its agent answers), `down`, `destroy`. */
public final class ApplianceLifecycle {
    static final String NETWORK = "default";
    private final InstanceStore store;
    private final Hypervisor hv;
    private final Reporter out;
    private final AgentAccess agents;

    public ApplianceLifecycle(InstanceStore store, Hypervisor hv, Reporter out) {
        this.store = store;
        this.hv = hv;
        this.out = out;
        this.agents = new AgentAccess(store, hv);
    }

    // ---------------------------------------------------------------- up

    /**
     * Checks the request, finds (or builds) the image, creates the instance or takes the one
     * there is, defines and starts its domain, and waits until its agent answers.
     */
    public UpResult up(UpRequest req) throws IOException, InterruptedException {
        String name = InstanceNames.validate(req.name());
        Driver.parse(req.driver()); // a bad --driver is refused before anything is made
        UpRequest.checkEndpoint(req.endpoint());
        checkResources(req);
        Optional<InstanceConfig> existing = restartable(name);
        // before the image is built: a host that cannot run the chosen driver is told at once
        Chosen driver = existing.isEmpty() ? chooseDriver(req) : null;

        long t0 = System.nanoTime();
        ApplianceImage image = existing.isPresent() ? existingImage(existing.get()) : obtainImage();
        verify(image);
        double imageSecs = secs(t0);

        long t1 = System.nanoTime();
        boolean created = existing.isEmpty();
        InstanceConfig cfg = created ? createInstance(name, req, image, driver) : applySettings(existing.get(), req);
        InstanceLayout layout = store.layout(name);
        PeerForwards forwards = define(cfg, image, layout, created);
        double defineSecs = secs(t1);

        long t2 = System.nanoTime();
        start(cfg, layout, created);
        double startSecs = secs(t2);

        Ready ready = awaitReady(cfg, layout, req.timeout());
        double readySecs = secs(t2);
        AgentFacts f = ready.facts();
        double userland = f.boot() == null ? -1 : f.boot().userlandAt();
        double agentReady = f.boot() == null ? -1 : f.boot().agentReadyAt() - f.boot().userlandAt();
        UpResult result = new UpResult(name, ready.address(), cfg.accel(), f,
                new UpResult.Timings(imageSecs, defineSecs, startSecs, userland, agentReady, readySecs), forwards, cfg.endpoint());
        Files.writeString(layout.timings(), Json.pretty(result.timings()));
        return result;
    }

    /** The session daemon has no virbr0: the host could not reach the guest's agent. */
    static void requireReachableNetwork(String libvirtUri) {
        if (libvirtUri.startsWith("qemu:///session")) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "mosvm up needs libvirt's system daemon and its default network; "
                    + libvirtUri + " has no network the host can reach guests on",
                    "run as root, or join the 'libvirt' group and set LIBVIRT_DEFAULT_URI=qemu:///system, or use --driver qemu");
        }
    }

    /** The driver for a new instance, and what its definition is recorded under. */
    private record Chosen(Driver driver, String where) {}

    private Chosen chooseDriver(UpRequest req) {
        if (!(hv instanceof DriverRouter router)) { // a test's single driver
            requireReachableNetwork(hv.describe());
            return new Chosen(Driver.LIBVIRT, hv.describe());
        }
        Driver d = router.chooseForNewInstance(Driver.parse(req.driver()), out::warn);
        String where = router.describe(d);
        if (d == Driver.LIBVIRT) requireReachableNetwork(where);
        return new Chosen(d, where);
    }

    private static void checkResources(UpRequest req) {
        if (req.cpus() != null && (req.cpus() < 1 || req.cpus() > Runtime.getRuntime().availableProcessors())) {
            throw MosvmException.invalid("invalid --cpus " + req.cpus() + ": this host has "
                    + Runtime.getRuntime().availableProcessors() + " CPU(s)");
        }
        if (req.memoryMiB() != null && req.memoryMiB() < UpRequest.MIN_MEMORY_MIB) {
            throw MosvmException.invalid("invalid --memory " + req.memoryMiB() + "M: the appliance needs at least "
                    + UpRequest.MIN_MEMORY_MIB + "M");
        }
    }

    /** The instance's configuration if it exists and is stopped; empty if there is none to start; else a state error. */
    private Optional<InstanceConfig> restartable(String name) throws IOException {
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
        return existing;
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

    /** A new instance: its accelerator decided, its directory, disk overlay and identity made. */
    private InstanceConfig createInstance(String name, UpRequest req, ApplianceImage image, Chosen driver) throws IOException, InterruptedException {
        AcceleratorProbe.Decision accel = new AcceleratorProbe(store.home().cache(), image.kernel())
                .decide(req.accel() == null ? "auto" : req.accel(), HostOs.current());
        if (accel.warning() != null) out.warn(accel.warning());
        InstanceConfig cfg = new InstanceConfig(name, req.cpus() == null ? UpRequest.DEFAULT_CPUS : req.cpus(),
                req.memoryMiB() == null ? UpRequest.DEFAULT_MEMORY_MIB : req.memoryMiB(), accel.accel().cliName(),
                image.key(), image.dir().toString(), randomMac(), java.util.UUID.randomUUID().toString(), driver.where(), Instant.now().toString(),
                req.cpuCap(), req.cpuModel(), req.clockOffset(), driver.driver().cliName(),
                UpRequest.ENDPOINT_AUTO.equals(req.endpoint()) ? null : UpRequest.checkEndpoint(req.endpoint()));
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
        return cfg;
    }

    /**
     * An existing instance takes a new CPU cap and endpoint at each start; its other settings
     * stay (and a request to change them is warned of).
     */
    private InstanceConfig applySettings(InstanceConfig cfg, UpRequest req) throws IOException {
        if (req.cpuCap() != null && req.cpuCap() != cfg.cpuCapPercent()) {
            cfg = cfg.withCpuCap(req.cpuCap());
            store.save(cfg);
        }
        if (req.endpoint() != null) {
            String endpoint = UpRequest.ENDPOINT_AUTO.equals(req.endpoint()) ? null : UpRequest.checkEndpoint(req.endpoint());
            if (!Objects.equals(endpoint, cfg.endpoint())) {
                cfg = cfg.withEndpoint(endpoint);
                store.save(cfg);
            }
        }
        if ((req.cpus() != null && req.cpus() != cfg.cpus()) || (req.memoryMiB() != null && req.memoryMiB() != cfg.memoryMiB())
                || (req.cpuModel() != null && !req.cpuModel().equals(cfg.cpuModel()))
                || (req.clockOffset() != null && req.clockOffset() != cfg.clockOffsetSeconds())
                || (req.driver() != null && Driver.parse(req.driver()) != Driver.recorded(cfg.driver()))) {
            out.warn("warning: instance '" + cfg.name() + "' keeps its settings (" + cfg.cpus() + " CPU, " + cfg.memoryMiB()
                    + " MiB" + (cfg.cpuModel() != null ? ", CPU model " + cfg.cpuModel() : "")
                    + (cfg.clockOffsetSeconds() != 0 ? ", clock offset " + cfg.clockOffsetSeconds() + " s" : "") + ", driver "
                    + Driver.recorded(cfg.driver()).cliName() + "); destroy and recreate it to change them");
        }
        return cfg;
    }

    /**
     * Defines the domain (a failed first `up` leaves no half-made instance behind), keeps a copy
     * of its XML, and brings the guest configuration's overlay endpoint up to date; returns the
     * ports forwarded for other workstations (null: none).
     */
    private PeerForwards define(InstanceConfig cfg, ApplianceImage image, InstanceLayout layout, boolean created) throws IOException {
        String definition;
        PeerForwards forwards;
        try {
            Path userKey = sshKeys(layout);
            definition = hv.define(spec(cfg, image, layout, SshKeys.publicKeyOf(userKey)));
            forwards = hv.peerForwards(cfg.domainName()).orElse(null);
            if (forwards == null && !hv.reachableByPeers(cfg.domainName())) {
                out.warn("warning: this host has no LAN address (no default route, no network interface up): other workstations "
                        + "cannot reach appliance '" + cfg.name() + "', so it cannot be in a pool with theirs");
            }
            updateOverlay(layout, cfg.endpoint() != null ? cfg.endpoint() : forwards == null ? null : forwards.overlayEndpoint(),
                    forwards == null ? 0 : forwards.overlayPort());
        } catch (RuntimeException | IOException e) {
            if (created) cleanupAfterFailedCreate(cfg.name(), cfg.domainName());
            throw e;
        }
        Files.writeString(layout.domainXml(), definition);
        return forwards;
    }

    /**
     * The guest configuration (handed over through fw_cfg, read by the agent at each boot) with
     * this `up`'s overlay endpoint and WireGuard port: the host's LAN address and forwarded
     * port may differ at each `up`, and an endpoint given with --endpoint replaces them.
     */
    static void updateOverlay(InstanceLayout layout, String endpoint, int overlayPort) throws IOException {
        GuestConfig gc = Json.MAPPER.readValue(layout.guestConfig().toFile(), GuestConfig.class);
        if (Objects.equals(gc.overlayEndpoint(), endpoint) && gc.overlayPort() == overlayPort) return;
        InstanceStore.writePrivate(layout.guestConfig(), Json.MAPPER.writeValueAsString(new GuestConfig(gc.node(), gc.secret(),
                gc.tlsKeystoreBase64(), gc.tlsKeystorePassword(), endpoint, overlayPort)));
    }

    private void start(InstanceConfig cfg, InstanceLayout layout, boolean created) throws IOException {
        out.progress("Starting " + cfg.name() + " (" + cfg.accel().toUpperCase() + ", " + cfg.cpus() + " CPU"
                + (cfg.cpuCapPercent() < 100 ? " capped at " + cfg.cpuCapPercent() + " %" : "") + (cfg.cpuModel() != null ? ", CPU " + cfg.cpuModel() : "")
                + ", " + cfg.memoryMiB() + " MiB" + (cfg.clockOffsetSeconds() != 0 ? ", clock " + String.format(Locale.ROOT, "%+d", cfg.clockOffsetSeconds())
                + " s off the host's" : "") + ")");
        Files.deleteIfExists(layout.sshControl()); // a shared connection to the guest's last run
        try {
            hv.start(cfg.domainName());
        } catch (RuntimeException e) {
            if (created) cleanupAfterFailedCreate(cfg.name(), cfg.domainName());
            throw e;
        }
    }

    /** The guest's address and its agent's first authenticated answer. */
    private record Ready(String address, AgentFacts facts) {}

    /**
     * Waits, under one deadline, for the domain to run, its DHCP lease and an authenticated
     * answer from its agent; if one never comes, powers it off and says which, with the end of
     * its serial console.
     */
    private Ready awaitReady(InstanceConfig cfg, InstanceLayout layout, Duration requested) throws InterruptedException {
        String vm = cfg.domainName();
        AgentFacts[] facts = new AgentFacts[1];
        String[] address = new String[1];
        List<Requirement> reqs = List.of(
                new Requirement("domain running", () -> running(vm), "see QEMU's log: /var/log/libvirt/qemu/" + vm + ".log (libvirt), "
                        + layout.qemuLog() + " (the qemu driver)"),
                new Requirement("DHCP address on network '" + NETWORK + "'", () -> {
                    running(vm);
                    address[0] = hv.address(vm).orElse(null);
                    return address[0] != null;
                }, "is the guest's network up? the serial log shows systemd-networkd"),
                new Requirement("guest agent answers (authenticated)", () -> {
                    running(vm);
                    facts[0] = AgentAccess.clientAt(layout, address[0], hv.hostPort(vm, AgentProtocol.PORT), Duration.ofSeconds(5), true).facts();
                    return true;
                }, "the agent logs to the serial console"));
        Duration timeout = requested != null ? requested
                : Duration.ofSeconds(Accelerator.TCG.cliName().equals(cfg.accel()) ? 300 : 120);
        ReadinessWait.Outcome outcome = ReadinessWait.await(reqs, timeout, Duration.ofMillis(500),
                (i, n, d, s) -> out.progress(String.format("  [%d/%d] %s (%.1f s)", i, n, d, s)));
        if (!outcome.ready()) {
            String state = hv.state(vm).name();
            hv.powerOff(vm);
            throw new MosvmException(ExitCodes.FAILED, "appliance '" + cfg.name() + "' did not become ready: requirement "
                    + outcome.unmetIndex() + " of " + reqs.size() + " (" + outcome.unmet().description() + ") not met: "
                    + outcome.reason() + "; domain was " + state + ", now powered off",
                    outcome.unmet().hint() + "\nlast lines of the serial console (" + layout.serialLog() + "):\n"
                            + SerialLog.tail(layout.serialLog(), 20)
                            + "\nretry with `mosvm up " + cfg.name() + "` or remove it with `mosvm destroy " + cfg.name() + "`");
        }
        return new Ready(address[0], facts[0]);
    }

    private boolean running(String vm) throws ReadinessWait.Fatal {
        VmState s = hv.state(vm);
        if (s.isOff()) throw new ReadinessWait.Fatal("the VM stopped during boot (state " + s + ")");
        return s == VmState.RUNNING;
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
                NETWORK, l.serialLog(), fwCfg, l.dir(), cfg.cpuCapPercent(), cfg.cpuModel(), cfg.clockOffsetSeconds());
    }

    static String randomMac() {
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        return String.format("52:54:00:%02x:%02x:%02x", b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
    }

    private static double secs(long since) {
        return Math.round((System.nanoTime() - since) / 1e7) / 100.0;
    }

    // ---------------------------------------------------------------- down / destroy

    /** Clean shutdown through the agent, then ACPI, then power off if it does not stop in time. */
    public String down(String name, Duration timeout) throws IOException, InterruptedException {
        store.existing(name);
        String vm = InstanceConfig.domainName(name);
        if (hv.state(vm).isOff()) return "instance '" + name + "' is already stopped";
        long deadline = System.nanoTime() + timeout.toNanos();
        String how;
        try {
            agents.client(name, Duration.ofSeconds(5), true).shutdown();
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
}

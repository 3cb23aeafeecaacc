package dev.mosvm.manager.hypervisor.qemu;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.PeerForwards;
import dev.mosvm.manager.hypervisor.VmSpec;
import dev.mosvm.manager.hypervisor.VmState;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;
import dev.mosvm.manager.instance.MosvmHome;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * The qemu driver: QEMU run directly, for hosts where libvirt cannot host VMs (macOS, Windows,
 * a Linux without libvirtd). Its state lives in the instance directory: the definition
 * ({@code qemu.json}: QEMU's arguments and the ports forwarded to the guest), QEMU's pid file
 * and its QMP socket. The guest is on QEMU's user-mode network, which needs no rights on the
 * host; the host reaches its agent and SSH through ports forwarded on loopback, chosen free at
 * each definition. Other workstations reach it through two ports forwarded on the host's LAN
 * address ({@link LanAddress}), also chosen at each definition: the agent's (joins, TCP) and
 * WireGuard's (UDP, the same number on host and guest, so the guest's WireGuard packets leave
 * through the forward's socket and peers see LAN:PORT).
 */
public final class QemuHypervisor implements Hypervisor {
    /** The guest's SSH port (as ShellAccess.SSH_PORT; the hypervisor layer does not reach up into appliance/). */
    static final int GUEST_SSH_PORT = 22;
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    /** How long a QEMU started without -daemonize (Windows) has to open its control socket. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** How many ports from the customary one (7443, 51820) a LAN forward tries before giving up. */
    static final int PORT_SPAN = 100;

    private final MosvmHome home;
    private final HostOs os;
    private final Supplier<Optional<Inet4Address>> lan;

    /**
     * What `define` keeps in the instance directory; {@code peer}: the forwards on the LAN
     * address among {@code forwards} (null: the host had none, or a definition from before them).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Definition(String vm, List<String> args, long clockOffsetSeconds, List<QemuCommandLine.Forward> forwards, PeerForwards peer) {}

    public QemuHypervisor(MosvmHome home, HostOs os) {
        this(home, os, LanAddress::find);
    }

    /** With {@code lan} telling the host's LAN address (empty: none, and nothing is forwarded on it). */
    QemuHypervisor(MosvmHome home, HostOs os, Supplier<Optional<Inet4Address>> lan) {
        this.home = home;
        this.os = os;
        this.lan = lan;
    }

    @Override
    public String describe() {
        return "qemu (run directly, user-mode networking)";
    }

    @Override
    public boolean runsAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Override
    public String define(VmSpec spec) {
        InstanceLayout l = new InstanceLayout(spec.instanceDir());
        int[] ports = freeLoopbackPorts(2);
        List<QemuCommandLine.Forward> forwards = new ArrayList<>(List.of(
                new QemuCommandLine.Forward("tcp", "127.0.0.1", ports[0], AgentProtocol.PORT),
                new QemuCommandLine.Forward("tcp", "127.0.0.1", ports[1], GUEST_SSH_PORT)));
        List<QemuCommandLine.Forward> peer = lan.get().map(a -> lanForwards(a.getHostAddress(), AgentProtocol.PORT, GuestConfig.OVERLAY_PORT,
                p -> tcpFree(a, p), p -> udpFree(a, p))).orElse(List.of());
        forwards.addAll(peer); // after the host's own: hostPort takes the first forward to a guest port
        List<String> args = QemuCommandLine.build(spec, os, forwards, control(l), l.qemuPid());
        Definition d = new Definition(spec.vm(), args, spec.clockOffsetSeconds(), forwards, peerForwards(peer).orElse(null));
        try {
            String json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(d);
            InstanceStore.writePrivate(l.qemuDefinition(), json);
            return json;
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.FAILED, "cannot write " + l.qemuDefinition() + ": " + e.getMessage(), null, e);
        }
    }

    @Override
    public void start(String vm) {
        InstanceLayout l = layout(vm);
        Definition d = definition(vm).orElseThrow(() -> MosvmException.state("no qemu definition for " + vm + " in " + l.dir(), null));
        if (process(vm).isPresent()) throw MosvmException.state(vm + " is already running", null);
        try {
            Files.deleteIfExists(l.qemuPid());
            Files.deleteIfExists(l.qemuProcess());
            Files.deleteIfExists(l.qmpSocket());
            List<String> args = new ArrayList<>(d.args());
            args.addAll(QemuCommandLine.rtc(d.clockOffsetSeconds(), Instant.now()));
            Process p = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(l.qemuLog().toFile()).start();
            if (os.daemonizes()) {
                // the parent exits once the VM is set up (or could not be): its status says which
                if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    killStarted(l); // its daemon may be up already
                    throw new MosvmException(ExitCodes.FAILED, "QEMU did not finish starting " + vm + " in " + START_TIMEOUT.toSeconds() + " s", null);
                }
                if (p.exitValue() != 0) throw startFailure(vm, l, "exit " + p.exitValue());
                try {
                    Files.writeString(l.qemuProcess(), Files.readString(l.qemuPid()).strip() + "\n");
                } catch (IOException e) {
                    killStarted(l);
                    throw new MosvmException(ExitCodes.FAILED, "QEMU started " + vm + " but its pid file could not be read: " + e.getMessage(), null, e);
                }
            } else {
                Files.writeString(l.qemuProcess(), p.pid() + "\n");
                long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
                while (true) {
                    if (!p.isAlive()) throw startFailure(vm, l, "exit " + p.exitValue());
                    try (QmpClient q = QmpClient.open(control(l), QMP_TIMEOUT)) {
                        break;
                    } catch (IOException e) {
                        if (System.nanoTime() > deadline) {
                            p.destroyForcibly();
                            throw startFailure(vm, l, "no control socket in " + START_TIMEOUT.toSeconds() + " s");
                        }
                        Thread.sleep(200);
                    }
                }
            }
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "cannot run " + os.qemuBinary() + ": " + e.getMessage(),
                    "install QEMU (docs/qemu-driver.md says how on each host) or set MOSVM_QEMU to its binary", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MosvmException(ExitCodes.FAILED, "interrupted while starting " + vm, null);
        }
    }

    /** After a start that failed half-way: the QEMU daemon its pid file names, if any, is ended. */
    private static void killStarted(InstanceLayout l) {
        try {
            long pid = Long.parseLong(Files.readString(l.qemuPid()).strip());
            ProcessHandle.of(pid).filter(h -> h.info().command().map(c -> c.contains("qemu")).orElse(true)).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | NumberFormatException e) {
            // no daemon got as far as its pid file
        }
    }

    /** QEMU's own first error line: a busy forwarded port, a missing accelerator, a bad image. */
    private MosvmException startFailure(String vm, InstanceLayout l, String how) {
        String said = "";
        try {
            said = Files.readAllLines(l.qemuLog()).stream().filter(s -> !s.isBlank()).reduce((a, b) -> b).orElse("");
        } catch (IOException ignored) {
            // nothing printed
        }
        return new MosvmException(ExitCodes.FAILED, "QEMU could not start " + vm + " (" + how + ")" + (said.isEmpty() ? "" : ": " + said.strip()),
                "its output is in " + l.qemuLog());
    }

    @Override
    public VmState state(String vm) {
        if (definition(vm).isEmpty()) return VmState.ABSENT;
        Optional<ProcessHandle> p = process(vm);
        if (p.isEmpty()) return VmState.SHUTOFF;
        try (QmpClient q = qmp(vm)) {
            String status = q.execute("query-status", null).path("status").asText();
            return switch (status) {
                case "running" -> VmState.RUNNING;
                case "paused", "suspended", "inmigrate", "prelaunch", "restore-vm", "save-vm", "debug" -> VmState.PAUSED;
                case "shutdown" -> VmState.SHUTTING_DOWN;
                // a failed guest whose QEMU still runs is not off: down and destroy must still end QEMU
                default -> VmState.OTHER;
            };
        } catch (IOException e) {
            return p.get().isAlive() ? VmState.OTHER : VmState.SHUTOFF;
        }
    }

    @Override
    public void requestShutdown(String vm) {
        try (QmpClient q = qmp(vm)) {
            q.execute("system_powerdown", null);
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.FAILED, "cannot ask " + vm + " to shut down over QMP: " + e.getMessage(), null, e);
        }
    }

    @Override
    public void powerOff(String vm) {
        Optional<ProcessHandle> p = process(vm);
        if (p.isEmpty()) return;
        try (QmpClient q = qmp(vm)) {
            q.execute("quit", null);
        } catch (IOException e) {
            // QEMU that does not answer is killed below
        }
        try {
            p.get().onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.get().destroyForcibly();
            try {
                p.get().onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception again) {
                throw new MosvmException(ExitCodes.FAILED, "QEMU of " + vm + " (pid " + p.get().pid() + ") did not exit", null);
            }
        }
    }

    @Override
    public void undefine(String vm) {
        InstanceLayout l = layout(vm);
        try {
            Files.deleteIfExists(l.qemuDefinition());
            Files.deleteIfExists(l.qemuPid());
            Files.deleteIfExists(l.qemuProcess());
            Files.deleteIfExists(l.qmpSocket());
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.FAILED, "cannot remove " + vm + "'s qemu definition: " + e.getMessage(), null, e);
        }
    }

    /** The host reaches the guest through its forwards on loopback. */
    @Override
    public Optional<String> address(String vm) {
        return process(vm).isPresent() ? Optional.of("127.0.0.1") : Optional.empty();
    }

    @Override
    public int hostPort(String vm, int guestPort) {
        return definition(vm).flatMap(d -> d.forwards().stream().filter(f -> f.guestPort() == guestPort).findFirst())
                .map(QemuCommandLine.Forward::hostPort).orElse(guestPort);
    }

    /** Behind QEMU's user-mode NAT: other appliances reach it only through its LAN forwards ({@link #peerForwards}). */
    @Override
    public boolean reachableByPeers(String vm) {
        return false;
    }

    /** The LAN forwards of its latest definition; empty if the host had no LAN address then. */
    @Override
    public Optional<PeerForwards> peerForwards(String vm) {
        return definition(vm).map(Definition::peer);
    }

    /** What {@link #lanForwards} made, as the join and overlay ports (empty for no forwards). */
    static Optional<PeerForwards> peerForwards(List<QemuCommandLine.Forward> lanForwards) {
        Optional<QemuCommandLine.Forward> join = lanForwards.stream().filter(f -> f.protocol().equals("tcp") && f.guestPort() == AgentProtocol.PORT).findFirst();
        Optional<QemuCommandLine.Forward> overlay = lanForwards.stream().filter(f -> f.protocol().equals("udp")).findFirst();
        if (join.isEmpty() || overlay.isEmpty()) return Optional.empty();
        return Optional.of(new PeerForwards(join.get().hostAddress(), join.get().hostPort(), overlay.get().guestPort()));
    }

    /**
     * The forwards on the LAN address {@code lan}: TCP {@code joinFrom} (or the next port
     * {@code tcpFree} accepts) to the guest's agent, and UDP {@code overlayFrom} (or the next
     * free one) to the same port in the guest, where its WireGuard listens.
     */
    static List<QemuCommandLine.Forward> lanForwards(String lan, int joinFrom, int overlayFrom, IntPredicate tcpFree, IntPredicate udpFree) {
        int join = firstFree(joinFrom, tcpFree).orElseThrow(() -> noFreePort("TCP", lan, joinFrom, "joins"));
        int overlay = firstFree(overlayFrom, udpFree).orElseThrow(() -> noFreePort("UDP", lan, overlayFrom, "WireGuard"));
        return List.of(new QemuCommandLine.Forward("tcp", lan, join, AgentProtocol.PORT), new QemuCommandLine.Forward("udp", lan, overlay, overlay));
    }

    /** The first port from {@code from} on, within {@link #PORT_SPAN} and 65535, that {@code free} accepts. */
    static OptionalInt firstFree(int from, IntPredicate free) {
        for (int p = from; p < from + PORT_SPAN && p <= 65535; p++) {
            if (free.test(p)) return OptionalInt.of(p);
        }
        return OptionalInt.empty();
    }

    private static MosvmException noFreePort(String protocol, String lan, int from, String what) {
        return new MosvmException(ExitCodes.ENVIRONMENT, "no free " + protocol + " port on " + lan + " from " + from + " to "
                + Math.min(65535, from + PORT_SPAN - 1) + " to forward to the appliance (" + what + ")",
                "other programs or appliances hold them all; stop one and bring the appliance up again");
    }

    /** Whether a UDP socket can be bound to {@code a:port} now. */
    static boolean udpFree(InetAddress a, int port) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(a, port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a TCP listener can be bound to {@code a:port} now. */
    static boolean tcpFree(InetAddress a, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(a, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public OptionalLong hostRssKb(String vm) {
        Optional<ProcessHandle> p = process(vm);
        if (p.isEmpty() || os != HostOs.LINUX) return OptionalLong.empty();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.get().pid()), "status"))) {
                if (line.startsWith("VmRSS:")) return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
            }
        } catch (IOException | NumberFormatException e) {
            // it exited meanwhile
        }
        return OptionalLong.empty();
    }

    @Override
    public List<String> managedVms() {
        List<String> out = new ArrayList<>();
        try {
            for (String name : new InstanceStore(home).names()) {
                if (Files.isRegularFile(home.instance(name).qemuDefinition())) out.add(InstanceConfig.domainName(name));
            }
        } catch (IOException e) {
            // no home yet: no VMs
        }
        return out;
    }

    @Override
    public void close() {
        // nothing held between calls
    }

    private InstanceLayout layout(String vm) {
        String prefix = InstanceConfig.domainPrefix();
        if (!vm.startsWith(prefix)) throw new IllegalArgumentException("not a mosvm VM name: " + vm);
        return home.instance(vm.substring(prefix.length()));
    }

    Optional<Definition> definition(String vm) {
        Path f = layout(vm).qemuDefinition();
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(Json.MAPPER.readValue(f.toFile(), Definition.class));
        } catch (IOException e) {
            throw MosvmException.state("unreadable qemu definition " + f + ": " + e.getMessage(), "mosvm destroy it and up it again");
        }
    }

    /**
     * The running QEMU of {@code vm}: the process the driver started, while it lives and is a
     * QEMU (pids are reused). Not QEMU's own pid file: QEMU removes that as it begins to exit,
     * and the VM is off only once the process is gone.
     */
    Optional<ProcessHandle> process(String vm) {
        Path pidFile = layout(vm).qemuProcess();
        try {
            if (!Files.isRegularFile(pidFile)) return Optional.empty();
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().command().map(c -> c.contains("qemu")).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private QmpClient qmp(String vm) throws IOException {
        Definition d = definition(vm).orElseThrow(() -> new IOException("no qemu definition for " + vm));
        return QmpClient.open(control(layout(vm)), QMP_TIMEOUT);
    }

    private static QemuCommandLine.Control control(InstanceLayout l) {
        return QemuCommandLine.Control.unix(l.qmpSocket());
    }

    /**
     * {@code n} distinct ports free on loopback now, all held until all are chosen. Another
     * process can still take one before QEMU binds it; QEMU then fails with "Could not set up
     * host forwarding rule", which `up` prints, and a second `up` chooses again.
     */
    private static int[] freeLoopbackPorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "no free port on loopback: " + e.getMessage(), null, e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a listening socket we own
                }
            }
        }
    }
}

package dev.mosvm.manager.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.hypervisor.libvirt.LibvirtConnector;
import dev.mosvm.manager.instance.MosvmHome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI in-process on libvirt's test driver: exit codes and messages a user sees. */
class CliTest {
    @TempDir Path dir;

    record Run(int exit, String out, String err) {}

    Run run(String... args) {
        MosvmHome home = new MosvmHome(dir.resolve("home"), dir.resolve("cache"), dir.resolve("agent.jar"), dir.resolve("r.yaml"));
        CommandLine cl = MosvmCommand.commandLine(home, () -> LibvirtConnector.connect("test:///default"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everySubcommandHasHelp() {
        for (List<String> cmd : List.of(List.of("up"), List.of("status"), List.of("list"), List.of("down"), List.of("destroy"),
                List.of("image"), List.of("image", "build"), List.of("image", "list"), List.of("image", "export"), List.of("image", "pull"), List.of("generate-completion"),
                List.of("nodes"), List.of("mon"), List.of("pool"), List.of("pool", "init"), List.of("join"), List.of("leave"),
                List.of("balance"), List.of("ps"), List.of("migrate"), List.of("checkpoint"))) {
            String[] args = java.util.stream.Stream.concat(cmd.stream(), java.util.stream.Stream.of("--help")).toArray(String[]::new);
            Run r = run(args);
            assertEquals(0, r.exit(), cmd + ": " + r.err());
            assertTrue(r.out().contains("Usage: mosvm " + String.join(" ", cmd)), r.out());
        }
    }

    @Test
    void completionScriptIsGenerated() {
        Run r = run("generate-completion");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("complete -F"), "a bash completion script");
    }

    @Test
    void badInputIsOneLineAndExitTwo() {
        Run size = run("up", "--memory", "12Q");
        assertEquals(ExitCodes.INVALID_INPUT, size.exit());
        assertTrue(size.err().startsWith("mosvm: error: Invalid value for option '--memory': invalid size '12Q'"), size.err());
        Run name = run("up", "Bad_Name");
        assertEquals(ExitCodes.INVALID_INPUT, name.exit());
        assertTrue(name.err().startsWith("mosvm: error: invalid instance name 'Bad_Name'"), name.err());
        Run small = run("up", "--memory", "64M");
        assertEquals(ExitCodes.INVALID_INPUT, small.exit());
        assertTrue(small.err().contains("at least 256M"), small.err());
        Run cpus = run("up", "--cpus", "0");
        assertEquals(ExitCodes.INVALID_INPUT, cpus.exit());
        Run unknown = run("frobnicate");
        assertEquals(ExitCodes.INVALID_INPUT, unknown.exit());
        assertTrue(unknown.err().contains("see 'mosvm --help'"), unknown.err());
    }

    @Test
    void anUnknownCommandIsAnErrorEvenWhenHelpFollowsIt() {
        for (String[] args : List.of(new String[] {"frobnicate"}, new String[] {"frobnicate", "--help"},
                new String[] {"--help", "frobnicate"}, new String[] {"frobnicate", "-h"})) {
            Run r = run(args);
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), String.join(" ", args) + ": " + r.out());
            assertEquals("", r.out(), "no help: " + String.join(" ", args));
            assertEquals("mosvm: error: unknown command 'frobnicate'", r.err().lines().findFirst().orElseThrow(), r.err());
            assertTrue(r.err().contains("see 'mosvm --help' for the commands"), r.err());
        }
        Run nested = run("image", "frob", "--help");
        assertEquals(ExitCodes.INVALID_INPUT, nested.exit());
        assertTrue(nested.err().startsWith("mosvm: error: unknown command 'image frob'\n"), nested.err());
        assertTrue(nested.err().contains("see 'mosvm image --help'"), nested.err());
        Run typo = run("statsu", "--help");
        assertEquals(ExitCodes.INVALID_INPUT, typo.exit());
        assertTrue(typo.err().contains("status"), "a near miss is suggested: " + typo.err());
    }

    @Test
    void anExtraArgumentBeforeHelpIsStillAnErrorButNotAnUnknownCommand() {
        Run r = run("status", "a", "b", "--help");
        assertEquals(ExitCodes.INVALID_INPUT, r.exit(), r.out());
        assertTrue(r.err().startsWith("mosvm: error: Unmatched argument at index 2: 'b'"), r.err());
        assertTrue(r.err().contains("usage: mosvm status"), r.err());
    }

    @Test
    void cpuCapAndBalanceModeAreChecked() {
        Run cap = run("up", "--cpu-cap", "0");
        assertEquals(ExitCodes.INVALID_INPUT, cap.exit());
        assertTrue(cap.err().startsWith("mosvm: error: --cpu-cap must be between 1 and 100 (percent), not 0"), cap.err());
        Run model = run("up", "--cpu-model", "qemu64'/><x");
        assertEquals(ExitCodes.INVALID_INPUT, model.exit());
        assertTrue(model.err().startsWith("mosvm: error: --cpu-model must be a QEMU CPU model name such as qemu64"), model.err());
        Run clock = run("up", "--clock-offset", "-90000");
        assertEquals(ExitCodes.INVALID_INPUT, clock.exit());
        assertTrue(clock.err().startsWith("mosvm: error: --clock-offset must be within a day (86400 s) either way, not -90000"), clock.err());
        Run mode = run("balance", "sideways");
        assertEquals(ExitCodes.INVALID_INPUT, mode.exit());
        assertTrue(mode.err().startsWith("mosvm: error: ") && mode.err().contains("expected one of [on, off, status]")
                && mode.err().contains("'sideways'"), mode.err());
    }

    @Test
    void migrateTakesTheGuestsArguments() {
        Run help = run("migrate", "--help");
        assertTrue(help.out().contains("--stop-and-copy") && help.out().contains("as mosps"), help.out());
        Run missing = run("migrate", "ca.17");
        assertEquals(ExitCodes.INVALID_INPUT, missing.exit());
        assertTrue(missing.err().startsWith("mosvm: error: Missing required parameter: 'NODE'"), missing.err());
        dev.mosvm.api.MigrateArguments args = new dev.mosvm.api.MigrateArguments();
        new picocli.CommandLine(args).parseArgs("ca.17", "home", "--stop-and-copy");
        assertEquals(List.of("ca.17", "home", dev.mosvm.api.MigrationMode.STOP_AND_COPY), List.of(args.job, args.node, args.mode()));
    }

    @Test
    void checkpointTakesAJobAsMigrateJobCheckpointDoes() {
        Run help = run("checkpoint", "--help");
        assertTrue(help.out().contains("JOB") && help.out().contains("--json") && help.out().contains("mosrun -R"), help.out());
        Run missing = run("checkpoint");
        assertEquals(ExitCodes.INVALID_INPUT, missing.exit());
        assertTrue(missing.err().startsWith("mosvm: error: Missing required parameter: 'JOB'"), missing.err());
        Run moveOption = run("migrate", "-i", "ghost", "ca.17", "checkpoint", "--stop-and-copy");
        assertEquals(ExitCodes.INVALID_INPUT, moveOption.exit(), "refused before any instance is looked at: " + moveOption.err());
        assertEquals("mosvm: error: --stop-and-copy and --eager-restore are for moves: a checkpoint takes neither",
                moveOption.err().lines().findFirst().orElseThrow());
        assertTrue(run("ps", "--help").out().contains("latest checkpoint"), "ps -v says it");
    }

    @Test
    void runTakesMosrunsCheckpointOptionsAndRefusesBadOnesBeforeAnyInstance() {
        Run help = run("run", "--help");
        assertTrue(help.out().contains("-A=MINUTES") && help.out().contains("-N=COUNT") && help.out().contains("-R=CHECKPOINT"), help.out());
        record Bad(List<String> args, String line) {}
        for (Bad b : List.of(
                new Bad(List.of("-A", "0", "--", "true"), "mosvm: error: -A must be between 1 and 10080, not 0"),
                new Bad(List.of("-A", "10081", "--", "true"), "mosvm: error: -A must be between 1 and 10080, not 10081"),
                new Bad(List.of("-N", "101", "--", "true"), "mosvm: error: -N must be between 1 and 100, not 101"),
                new Bad(List.of("-R", "ca.17", "--", "true"), "mosvm: error: -R restarts a job from checkpoint ca.17: it takes no PROGRAM (true)"),
                new Bad(List.of("-A", "1"), "mosvm: error: a PROGRAM to run is required (or -R CHECKPOINT to restart one)"),
                new Bad(List.of("--user", "Alice;id", "--", "true"),
                        "mosvm: error: --user Alice;id is not a user name (lower-case letters, digits, '-' and '_')"),
                new Bad(List.of("-u", "-rf", "--", "true"), "mosvm: error: --user -rf is not a user name (lower-case letters, digits, '-' and '_')"))) {
            List<String> args = new java.util.ArrayList<>(List.of("run", "-i", "ghost"));
            args.addAll(b.args());
            Run r = run(args.toArray(String[]::new));
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), b + ": " + r.err());
            assertEquals(b.line(), r.err().lines().findFirst().orElseThrow(), b.toString());
        }
        Run notANumber = run("run", "-i", "ghost", "-A", "often", "--", "true");
        assertEquals(ExitCodes.INVALID_INPUT, notANumber.exit());
        assertTrue(notANumber.err().startsWith("mosvm: error: Invalid value for option '-A'"), notANumber.err());
    }

    @Test
    void badHostFoldersAreRefusedBeforeAnyInstance() {
        record Bad(List<String> args, String part) {}
        for (Bad b : List.of(new Bad(List.of("up", "ghost", "--mount", "data:rw"), "give the folder's absolute path"),
                new Bad(List.of("up", "ghost", "--mount", "/etc/mosvm"), "it lies in the appliance's /etc"),
                new Bad(List.of("up", "ghost", "--mount", "/tmp/a", "--mount", "/tmp/a/b"), "it overlaps /tmp/a"),
                new Bad(List.of("up", "ghost", "--mount", "/tmp/x", "--mount", "none"), "--mount none stands alone"),
                new Bad(List.of("run", "-i", "ghost", "-C", "relative", "--", "true"), "-C relative: give an absolute directory of the appliance"))) {
            Run r = run(b.args().toArray(String[]::new));
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), b + ": " + r.err());
            String line = r.err().lines().findFirst().orElseThrow();
            assertTrue(line.startsWith("mosvm: error: ") && line.contains(b.part()), b + ": " + r.err());
        }
    }

    @Test
    void joinNeedsAWellFormedToken() {
        Run r = run("join", "192.168.122.10", "--token", "mosvm1.pool.short.abc");
        assertEquals(ExitCodes.INVALID_INPUT, r.exit());
        assertTrue(r.err().startsWith("mosvm: error: invalid join token"), r.err());
        assertEquals(ExitCodes.INVALID_INPUT, run("join", "192.168.122.10").exit(), "--token is required");
    }

    static final String TOKEN = "mosvm1.lab.abcdefghijklmnop1234." + "0123456789abcdef".repeat(4);

    @Test
    void joinTakesAnAddressWithAnOptionalPortAndRefusesBadOnesBeforeAnyInstance() {
        record Bad(String address, String line) {}
        for (Bad b : List.of(
                new Bad("10.213.77.11:0", "mosvm: error: invalid address '10.213.77.11:0': port '0' is not 1 to 65535; "
                        + "use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)"),
                new Bad("10.213.77.11:70000", "mosvm: error: invalid address '10.213.77.11:70000': port '70000' is not 1 to 65535; "
                        + "use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)"),
                new Bad("ws_b:7443", "mosvm: error: invalid address 'ws_b:7443': 'ws_b' is neither a host name nor an IPv4 address; "
                        + "use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)"),
                new Bad("300.1.2.3", "mosvm: error: invalid address '300.1.2.3': '300.1.2.3' is neither a host name nor an IPv4 address; "
                        + "use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)"),
                new Bad("[::1]:7443", "mosvm: error: invalid address '[::1]:7443': IPv6 addresses are not supported; "
                        + "use HOST or HOST:PORT (a host name or IPv4 address, a port 1 to 65535)"))) {
            Run r = run("join", b.address(), "--token", TOKEN, "-i", "ghost");
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), b + ": " + r.err());
            assertEquals(b.line(), r.err().lines().findFirst().orElseThrow(), b.toString());
        }
        for (String good : List.of("10.213.77.11", "10.213.77.11:7444", "ws-b.lab.example:7443")) {
            Run r = run("join", good, "--token", TOKEN, "-i", "ghost");
            assertEquals(ExitCodes.BAD_STATE, r.exit(), good + " is taken; the instance is what is missing: " + r.err());
            assertTrue(r.err().startsWith("mosvm: error: no instance named 'ghost'"), r.err());
        }
        assertTrue(run("join", "--help").out().contains("ADDRESS[:PORT]"));
    }

    @Test
    void upChecksEndpointBeforeMakingAnything() throws Exception {
        for (String bad : List.of("203.0.113.5", "203.0.113.5:0", "router_1:51820", "203.0.113.5:51820:1", "",
                "ws-a." + "a".repeat(50) + ".example:51820")) {
            Run r = run("up", "a", "--endpoint", bad);
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), bad + ": " + r.err());
            String first = r.err().lines().findFirst().orElseThrow();
            assertTrue(first.startsWith("mosvm: error: invalid --endpoint '" + bad + "': ")
                    && first.endsWith("; use HOST:PORT (a host name or IPv4 address, a port 1 to 65535), none or auto"), first);
            assertTrue(!java.nio.file.Files.exists(dir.resolve("home/a")), "nothing made for " + bad);
        }
        assertEquals("mosvm: error: invalid --endpoint '203.0.113.5': no port; use HOST:PORT (a host name or IPv4 address, a port 1 to 65535), none or auto",
                run("up", "a", "--endpoint", "203.0.113.5").err().lines().findFirst().orElseThrow());
        assertTrue(run("up", "a", "--endpoint", "ws-a." + "a".repeat(50) + ".example:51820").err()
                .contains("': longer than 63 characters; use HOST:PORT"), "a gossip entry holds no longer endpoint");
        assertTrue(run("up", "--help").out().contains("--endpoint=HOST:PORT"));
    }

    @Test
    void poolInitTakesAnOverlayOfTwo() {
        Run bad = run("pool", "init", "--overlay", "off", "-i", "ghost");
        assertEquals(ExitCodes.INVALID_INPUT, bad.exit());
        assertTrue(bad.err().startsWith("mosvm: error: Invalid value for option '--overlay': expected one of [wireguard, plain]"), bad.err());
        for (String mode : List.of("wireguard", "plain")) {
            Run r = run("pool", "init", "--overlay", mode, "-i", "ghost");
            assertEquals(ExitCodes.BAD_STATE, r.exit(), mode + ": " + r.err());
            assertTrue(r.err().startsWith("mosvm: error: no instance named 'ghost'"), r.err());
        }
        assertTrue(run("pool", "init", "--help").out().contains("--overlay=wireguard|plain"));
    }

    @Test
    void upAndStatusNameTheJoinAddressAndTheOverlayEndpoint() {
        StringWriter w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), new dev.mosvm.manager.hypervisor.PeerForwards("10.213.77.11", 7443, 51820), null);
        assertEquals(List.of("  join      10.213.77.11:7443 (TCP, forwarded to the agent; other workstations join through it)",
                "  overlay   10.213.77.11:51820 (WireGuard, UDP forwarded to the guest's 51820)"), w.toString().lines().toList());
        w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), new dev.mosvm.manager.hypervisor.PeerForwards("10.213.77.11", 7444, 51821), null);
        assertEquals(List.of("  join      10.213.77.11:7444 (TCP, forwarded to the agent; other workstations join through it; 7443 was taken)",
                "  overlay   10.213.77.11:51821 (WireGuard, UDP forwarded to the guest's 51821; 51820 was taken)"), w.toString().lines().toList());
        w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), new dev.mosvm.manager.hypervisor.PeerForwards("10.213.77.11", 7443, 51820),
                "203.0.113.5:40000");
        assertEquals(List.of("  join      10.213.77.11:7443 (TCP, forwarded to the agent; other workstations join through it)",
                "  overlay   203.0.113.5:40000 (WireGuard, given with --endpoint; forwarded from UDP 10.213.77.11:51820)"), w.toString().lines().toList());
        w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), null, "ws-a.example:51820");
        assertEquals(List.of("  overlay   ws-a.example:51820 (WireGuard, given with --endpoint)"), w.toString().lines().toList(), "libvirt");
        w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), null, dev.mosvm.manager.appliance.UpRequest.checkEndpoint("none"));
        assertEquals(List.of("  overlay   none (--endpoint none: it calls the other members; those unreachable too are relayed through a reachable one)"),
                w.toString().lines().toList(), "a workstation that forwards nothing");
        w = new StringWriter();
        StatusCommand.printPeerAccess(new PrintWriter(w, true), null, null);
        assertEquals("", w.toString(), "libvirt without --endpoint: as before");
    }

    @Test
    void poolInitChecksItsTunables() {
        Run r = run("pool", "init", "--interval-ms", "5");
        assertEquals(ExitCodes.INVALID_INPUT, r.exit());
        assertTrue(r.err().startsWith("mosvm: error: invalid --interval-ms 5"), r.err());
        assertEquals(ExitCodes.INVALID_INPUT, run("pool", "init", "--window", "0").exit());
    }

    @Test
    void unknownInstancesAreStateErrors() {
        for (List<String> cmd : List.of(List.of("down", "ghost"), List.of("destroy", "ghost"), List.of("status", "ghost"),
                List.of("ps", "-i", "ghost"), List.of("ps", "-v", "-i", "ghost"), List.of("migrate", "-i", "ghost", "ca.17", "cb"),
                List.of("migrate", "-i", "ghost", "ca.17", "checkpoint"), List.of("checkpoint", "-i", "ghost", "ca.17"),
                List.of("nodes", "-i", "ghost"))) {
            Run r = run(cmd.toArray(String[]::new));
            assertEquals(ExitCodes.BAD_STATE, r.exit(), cmd.toString());
            assertTrue(r.err().startsWith("mosvm: error: no instance named 'ghost'"), r.err());
        }
    }

    @Test
    void theSessionDaemonIsRefusedWithTheWayOut() {
        MosvmHome home = new MosvmHome(dir.resolve("home"), dir.resolve("cache"), dir.resolve("agent.jar"), dir.resolve("r.yaml"));
        var svc = new dev.mosvm.manager.appliance.ApplianceLifecycle(new dev.mosvm.manager.instance.InstanceStore(home),
                new SessionNamed(LibvirtConnector.connect("test:///default")), dev.mosvm.manager.appliance.Reporter.SILENT);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.mosvm.manager.MosvmException.class,
                () -> svc.up(new dev.mosvm.manager.appliance.UpRequest("a", null, null, "tcg", null)));
        assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
        assertTrue(e.hint().contains("LIBVIRT_DEFAULT_URI=qemu:///system"), e.hint());
    }

    /** The test driver presented as the session daemon. */
    record SessionNamed(dev.mosvm.manager.hypervisor.Hypervisor hv) implements dev.mosvm.manager.hypervisor.Hypervisor {
        public String describe() { return "qemu:///session"; }
        public boolean runsAsRoot() { return false; }
        public String define(dev.mosvm.manager.hypervisor.VmSpec s) { return hv.define(s); }
        public void start(String vm) { hv.start(vm); }
        public dev.mosvm.manager.hypervisor.VmState state(String vm) { return hv.state(vm); }
        public void requestShutdown(String vm) { hv.requestShutdown(vm); }
        public void powerOff(String vm) { hv.powerOff(vm); }
        public void undefine(String vm) { hv.undefine(vm); }
        public java.util.Optional<String> address(String vm) { return hv.address(vm); }
        public java.util.OptionalLong hostRssKb(String vm) { return hv.hostRssKb(vm); }
        public java.util.List<String> managedVms() { return hv.managedVms(); }
        public void close() { hv.close(); }
    }

    @Test
    void listOfNothingIsEmptyNotAnError() {
        Run r = run("list");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("NAME"));
        assertEquals(1, r.out().lines().count());
        assertEquals("[ ]", run("list", "--json").out().strip());
    }

    @Test
    void missingAgentJarIsExplained() {
        Run r = run("image", "build");
        assertEquals(ExitCodes.FAILED, r.exit());
        assertTrue(r.err().contains("not found"), r.err());
    }

    @Test
    void anImageIsExportedAndPulledBackCheckedAndBadHashesAreOneLine() throws Exception {
        String key = "00112233aabbccdd";
        java.nio.file.Path img = java.nio.file.Files.createDirectories(dir.resolve("cache/images/" + key));
        java.util.Map<String, dev.mosvm.builder.ImageManifest.FileEntry> files = new java.util.TreeMap<>();
        for (String n : List.of("disk.qcow2", "vmlinuz", "initrd.img")) {
            java.nio.file.Files.writeString(img.resolve(n), "bytes of " + n);
            files.put(n, new dev.mosvm.builder.ImageManifest.FileEntry(java.nio.file.Files.size(img.resolve(n)), dev.mosvm.builder.CacheKey.sha256(img.resolve(n))));
        }
        new com.fasterxml.jackson.databind.ObjectMapper().writeValue(img.resolve("manifest.json").toFile(),
                new dev.mosvm.builder.ImageManifest(key, "mosvm", "1", "now", "root=/dev/vda", 1, java.util.Map.of(), files, 0));
        java.nio.file.Path out = dir.resolve("published");
        Run exported = run("image", "export", key, out.toString());
        assertEquals(0, exported.exit(), exported.err());
        String sha = dev.mosvm.builder.CacheKey.sha256(out.resolve("manifest.json"));
        assertTrue(exported.out().contains("its manifest's SHA-256 is " + sha), exported.out());
        assertEquals(0, run("image", "rm", key).exit());
        Run badHash = run("image", "pull", out.toString(), "--sha256", "zz");
        assertEquals(ExitCodes.INVALID_INPUT, badHash.exit());
        assertEquals("mosvm: error: --sha256 takes the 64 hex digits export printed, not 'zz'", badHash.err().lines().findFirst().orElse(""));
        Run wrong = run("image", "pull", out.toString(), "--sha256", "0".repeat(64), "--any-key");
        assertEquals(ExitCodes.FAILED, wrong.exit(), wrong.err());
        assertTrue(wrong.err().startsWith("mosvm: error: the manifest at " + out + " has SHA-256 "), wrong.err());
        assertTrue(run("image", "list").out().lines().noneMatch(l -> l.startsWith(key)), "nothing kept");
        Run pulled = run("image", "pull", out.toString(), "--sha256", sha, "--any-key");
        assertEquals(0, pulled.exit(), pulled.err());
        assertTrue(pulled.out().startsWith("image " + key + " (1+" + key + ") in "), pulled.out());
        assertTrue(run("image", "list").out().lines().anyMatch(l -> l.startsWith(key)));
        assertEquals(0, run("image", "verify", key).exit());
    }
}

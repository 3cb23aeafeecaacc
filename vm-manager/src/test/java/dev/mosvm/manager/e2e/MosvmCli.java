package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged `mosvm` exactly as a user does (a separate JVM, the shaded jar), with
 * its own MOSVM_HOME; the image cache is the machine's, so the image is built once.
 */
final class MosvmCli {
    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }

        Result ok() {
            assertEquals(0, exit, () -> "expected success; stderr:\n" + err + "\nstdout:\n" + out);
            return this;
        }

        Result exitIs(int code) {
            assertEquals(code, exit, () -> "exit status; stderr:\n" + err + "\nstdout:\n" + out);
            return this;
        }

        Result fails(int code, String messagePart) {
            assertEquals(code, exit, () -> "exit status; stderr:\n" + err + "\nstdout:\n" + out);
            java.util.List<String> errors = err.lines().filter(l -> l.startsWith("mosvm: error: ")).toList();
            assertEquals(1, errors.size(), () -> "exactly one error line in:\n" + err);
            assertTrue(errors.get(0).contains(messagePart), () -> "expected '" + messagePart + "' in the error line:\n" + err);
            return this;
        }
    }

    final Path home;
    final Map<String, String> env = new HashMap<>();
    List<String> runAs = List.of();
    Path dir;

    /**
     * This test run's libvirt domain prefix: libvirt's daemon is shared by the machine, so a
     * run must not meet the domains of another run (or of a user) that use the same names.
     */
    static final String DOMAIN_PREFIX = "mosvm-t" + Long.toString(ProcessHandle.current().pid(), 36) + "-";

    MosvmCli(Path home) {
        this.home = home;
        env.put("MOSVM_HOME", home.toString());
        env.put("MOSVM_DOMAIN_PREFIX", DOMAIN_PREFIX);
    }

    /** The pool as {@code vm}'s agent sees it: `mosvm nodes --json` (nodes and recent moves). */
    JsonNode nodes(String vm) throws Exception {
        return run("nodes", "-i", vm, "--json").ok().json();
    }

    /** The libvirt domain of this run's instance {@code name}. */
    static String domain(String name) {
        return DOMAIN_PREFIX + name;
    }

    /** Runs the commands side by side (booting several appliances at once); their results in order. */
    List<Result> runTogether(List<String[]> commands) {
        // a thread each (the common pool has one worker on two cores)
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(commands.size());
        try {
            List<java.util.concurrent.Future<Result>> running = new ArrayList<>();
            for (String[] c : commands) running.add(threads.submit(() -> run(c)));
            List<Result> results = new ArrayList<>();
            for (java.util.concurrent.Future<Result> f : running) {
                try {
                    results.add(f.get());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            return results;
        } finally {
            threads.shutdown();
        }
    }

    MosvmCli with(String key, String value) {
        MosvmCli c = new MosvmCli(home);
        c.env.putAll(env);
        c.env.put(key, value);
        c.runAs = runAs;
        c.dir = dir;
        return c;
    }

    /** Runs in {@code directory} (where `mosvm run` takes its job's directory from). */
    MosvmCli in(Path directory) {
        MosvmCli c = with("PWD", directory.toString());
        c.dir = directory;
        return c;
    }

    MosvmCli asUser(String user) {
        MosvmCli c = new MosvmCli(home);
        c.env.putAll(env);
        c.runAs = List.of("runuser", "-u", user, "--", "env");
        return c;
    }

    /** Runs in network namespace {@code ns} (a workstation of scripts/workstations.sh): its LAN address, its loopback. */
    MosvmCli inNetworkNamespace(String ns) {
        MosvmCli c = new MosvmCli(home);
        c.env.putAll(env);
        c.runAs = List.of("ip", "netns", "exec", ns, "env");
        return c;
    }

    /**
     * Runs in a private mount namespace where libvirt's library is covered by an empty file:
     * for that process libvirt is not installed; the host is untouched (private propagation).
     */
    MosvmCli withoutLibvirt() throws IOException {
        Path lib = Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0").toRealPath();
        MosvmCli c = new MosvmCli(home);
        c.env.putAll(env);
        c.runAs = List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind /dev/null \"$0\" && exec env \"$@\"", lib.toString());
        return c;
    }

    static Path jar() {
        return Path.of(System.getProperty("mosvm.jar", "target/mosvm.jar")).toAbsolutePath();
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(runAs);
        if (!runAs.isEmpty()) env.forEach((k, v) -> cmd.add(k + "=" + v));
        // the JVM options of bin/mosvm: a short-lived CLI (C1 only, serial GC, the JDK's class archive)
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dmosvm.agentJar=" + Path.of(System.getProperty("mosvm.agentJar")).toAbsolutePath(),
                "-Dmosvm.recipe=" + Path.of(System.getProperty("mosvm.recipe")).toAbsolutePath(),
                "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Starts mosvm on a pseudo-terminal (util-linux `script`), as a user at a terminal runs it:
     * what it draws comes out of the process's stdout, keys go into its stdin.
     */
    Process inTerminal(String... args) throws IOException {
        String line = shellLine(args);
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", line, "/dev/null").redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("TERM", "xterm");
        return pb.start();
    }

    /** The mosvm command line as one shell-quoted string (for pipelines and pseudo-terminals). */
    String shellLine(String... args) {
        return String.join(" ", command(args).stream().map(MosvmCli::quote).toList());
    }

    private ProcessBuilder builder(String... args) {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        return pb;
    }

    /** Starts mosvm with no input and does not wait: for a command that runs on while the test does other things. */
    Process start(String... args) throws IOException {
        forgetSshLinesFor(args);
        System.out.println("$ mosvm " + String.join(" ", args) + " &");
        return builder(args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    Result run(String... args) throws IOException, InterruptedException {
        forgetSshLinesFor(args);
        Result r = finish(builder(args), "mosvm " + String.join(" ", args));
        System.out.println("$ mosvm " + String.join(" ", args) + "  -> exit " + r.exit());
        return r;
    }

    /** Runs {@code pb} to its end (15 minutes at most), its output and errors each kept in a file meanwhile. */
    private static Result finish(ProcessBuilder pb, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile("mosvm-out", ".txt");
        Path err = Files.createTempFile("mosvm-err", ".txt");
        out.toFile().setReadable(true, false);
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not finish in 15 minutes");
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }

    /**
     * Each instance's ssh command line as `mosvm ssh -i NAME --print` gives it (keyed by MOSVM_HOME
     * and name), while the instance keeps its address: `up`, `down` and `destroy` through any
     * MosvmCli forget them all, and so does an ssh that could not connect.
     */
    private static final Map<String, String> SSH_LINES = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Runs {@code command} as root in appliance {@code vm}, as `mosvm ssh -i VM -- COMMAND` does, by the
     * ssh command line that `mosvm ssh --print` gives (the way a script runs many commands in an
     * appliance): the tests' many looks into their guests share the instance's ssh connection
     * without starting a JVM each, whose second of host CPU the emulated guests would otherwise lose.
     */
    Result ssh(String vm, String... command) throws IOException, InterruptedException {
        String key = home + "\0" + runAs + "\0" + vm;
        String line = SSH_LINES.get(key);
        if (line == null) {
            Result printed = run("ssh", "-i", vm, "--print");
            line = printed.out().lines().filter(l -> l.startsWith("ssh ")).reduce((a, b) -> b).orElse(null);
            if (printed.exit() != 0 || line == null) return printed;
            SSH_LINES.put(key, line);
        }
        String remote = String.join(" ", java.util.Arrays.stream(command).map(MosvmCli::quote).toList());
        List<String> cmd = new ArrayList<>(runAs);
        cmd.addAll(List.of("bash", "-c", line + " -- " + quote(remote)));
        Result r = finish(new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))), "ssh to " + vm + ": " + remote);
        if (r.exit() == 255) SSH_LINES.remove(key); // asked for again next time: the instance may have moved
        System.out.println("$ ssh " + vm + " (mosvm ssh --print) " + remote + "  -> exit " + r.exit());
        return r;
    }

    /** A command that starts, stops or removes instances: their ssh lines are asked for again. */
    private static void forgetSshLinesFor(String... args) {
        if (args.length > 0 && List.of("up", "down", "destroy").contains(args[0])) SSH_LINES.clear();
    }

    /** One word for a POSIX shell. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Starts a script of this repository (scripts/...) against this run's instances: their MOSVM_HOME and domain prefix. */
    Process startScript(Path script, List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(args);
        SSH_LINES.clear(); // a script may start and stop instances
        System.out.println("$ " + String.join(" ", cmd) + " &");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** `virsh` against the system daemon, for checks independent of mosvm's own code. */
    static String virsh(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out.strip();
    }

    /** End-to-end tests need root and a running libvirtd; without them they fail, never skip. */
    static void requireEnvironment() throws IOException, InterruptedException {
        assertEquals("root", System.getProperty("user.name"), "end-to-end tests run as root (see README: .ci/run)");
        String v = virsh("version", "--daemon");
        assertTrue(v.contains("Running against daemon"), "libvirtd must be running (scripts/start-libvirt.sh): " + v);
        assertTrue(Files.isRegularFile(jar()), "package first: " + jar());
    }
}

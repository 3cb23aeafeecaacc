package dev.mosvm.manager.appliance;

import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** A shell in a running instance as root, over ssh (`mosvm ssh`, `mosvm run`). */
public final class ShellAccess {
    /** The guest's SSH port (forwarded to another on the host by the qemu driver). */
    public static final int SSH_PORT = 22;
    private final InstanceStore store;
    private final Hypervisor hv;

    public ShellAccess(InstanceStore store, Hypervisor hv) {
        this.store = store;
        this.hv = hv;
    }

    /**
     * The ssh command line that reaches a running instance as root: the user's key, and the
     * instance's host key checked under its alias (strictly: a mismatch is refused).
     */
    public List<String> sshCommand(String name, boolean tty, List<String> command) {
        return sshCommand(name, tty, command, true);
    }

    /**
     * As {@link #sshCommand(String, boolean, List)}; {@code shared} false: a connection of its own,
     * for a session that lasts (a host folder's) and must not hold up, or be ended with, the
     * commands' shared one. Its keepalives end it two minutes after the guest stops answering
     * (an emulated guest under load can be silent for tens of seconds; a session ended early
     * costs its folder's open files).
     */
    public List<String> sshCommand(String name, boolean tty, List<String> command, boolean shared) {
        RunningInstance r = RunningInstance.find(store, hv, name);
        InstanceLayout l = r.layout();
        if (!Files.isRegularFile(l.knownHosts())) {
            throw MosvmException.state("instance '" + name + "' was started before mosvm had SSH", "restart it: mosvm down " + name
                    + " && mosvm up " + name);
        }
        List<String> args = new ArrayList<>(List.of("ssh", "-i", store.home().userKey().toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + l.knownHosts(), "-o", "HostKeyAlias=" + SshKeys.hostAlias(name),
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30"));
        args.addAll(shared ? sharedConnection(l) : List.of("-o", "ControlPath=none", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8"));
        if (tty) args.add("-t");
        if (r.sshPort() != SSH_PORT) args.addAll(List.of("-p", Integer.toString(r.sshPort())));
        args.add("root@" + r.address());
        if (!command.isEmpty()) {
            // ssh hands the remote shell one string: quote each word so arguments arrive as given
            args.add("--");
            args.add(String.join(" ", command.stream().map(ShellAccess::shellQuote).toList()));
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

    /** Runs a shell script in the instance as root over the shared connection; its exit status and output (both streams). */
    public Answer run(String name, String script, java.time.Duration wait) throws java.io.IOException, InterruptedException {
        Process p = new ProcessBuilder(sshCommand(name, false, List.of("sh", "-c", script))).redirectErrorStream(true)
                .redirectInput(NO_INPUT).start();
        java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            } catch (java.io.IOException e) {
                return e.getMessage();
            }
        });
        if (!p.waitFor(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return new Answer(-1, "no answer within " + wait.toSeconds() + " s");
        }
        return new Answer(p.exitValue(), output.join());
    }

    /** A command's exit status (-1: it did not finish in time) and output. */
    public record Answer(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** Standard input for a process that reads none: the host's null device. */
    public static final ProcessBuilder.Redirect NO_INPUT = ProcessBuilder.Redirect.from(
            new java.io.File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null"));

    public static String shellQuote(String word) {
        return word.matches("[A-Za-z0-9_@%+=:,./-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}

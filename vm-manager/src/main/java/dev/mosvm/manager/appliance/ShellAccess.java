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
        args.addAll(sharedConnection(l));
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

    static String shellQuote(String word) {
        return word.matches("[A-Za-z0-9_@%+=:,./-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}

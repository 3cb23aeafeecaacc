package dev.mosvm.manager.hostfolders;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's OpenSSH sftp-server, which serves a folder's files to the appliance's sshfs over an
 * ssh session's standard streams (reverse sshfs: nothing listens on the host). It runs as the
 * host user (dropped to that user's ids when mosvm runs as root under sudo), and read-only
 * folders get its -R: the host refuses writes, whatever the appliance's root asks.
 */
final class SftpServer {
    private static final List<String> PLACES = List.of("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server",
            "/usr/libexec/sftp-server", "/usr/lib/ssh/sftp-server", "C:\\Windows\\System32\\OpenSSH\\sftp-server.exe");

    private SftpServer() {}

    static boolean available() {
        try {
            find();
            return true;
        } catch (MosvmException e) {
            return false;
        }
    }

    /** Whether this host can run sftp-server as {@code user}: as that user already, or through setpriv. */
    static boolean canServeAs(HostUser user) {
        return asUser(user).isEmpty() || java.util.stream.Stream.of("/usr/bin/setpriv", "/bin/setpriv").anyMatch(p -> Files.isExecutable(Path.of(p)));
    }

    static Path find() {
        String override = System.getenv("MOSVM_SFTP_SERVER");
        if (override != null && !override.isEmpty()) return Path.of(override);
        for (String p : PLACES) if (Files.isExecutable(Path.of(p))) return Path.of(p);
        throw new MosvmException(ExitCodes.ENVIRONMENT, "host folders need OpenSSH's sftp-server, and this host has none",
                "install it (Debian: apt-get install openssh-sftp-server), or set MOSVM_SFTP_SERVER to its path");
    }

    /** The command that serves {@code folder} as {@code user}. */
    static List<String> command(Path server, HostFolder folder, HostUser user) {
        List<String> cmd = new ArrayList<>(asUser(user));
        cmd.add(server.toString());
        // no -d: it expands % in its argument, and sshfs sends the folder's absolute path anyway
        cmd.addAll(List.of("-e", "-l", "ERROR"));
        if (!folder.writable()) cmd.add("-R");
        return cmd;
    }

    /**
     * The prefix that runs a command as {@code user}: setpriv (util-linux) when mosvm runs as root
     * for another user, nothing when it runs as that user already.
     */
    static List<String> asUser(HostUser user) {
        if (user.isRoot() || user.uid() < 0 || user.uid() == HostUser.processUid()) return List.of();
        // the user's groups too: a folder shared through a group is readable as it is without sudo
        return List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups", "--");
    }

}

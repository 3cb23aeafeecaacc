package dev.mosvm.manager.hostfolders;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.ShellAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps an instance's host folders mounted while it runs: for each folder one ssh session whose
 * remote command is the appliance's sshfs in passive mode, its standard streams joined to the
 * host's sftp-server. A session that ends (the guest rebooted, the network dropped, sshfs was
 * killed, libvirtd restarted) is made again, after a pause that grows to 30 s while it keeps
 * failing. The keeper ends when its instance no longer runs, and on SIGTERM (`mosvm down`,
 * `destroy`, another `up --mount`), taking its sessions with it: the guest's sshfs sees its
 * stream end and unmounts.
 */
public final class FolderKeeper {
    static final Duration MAX_PAUSE = Duration.ofSeconds(30);
    /** A session that lasted this long was working: the next failure starts the pauses again. */
    static final Duration STEADY = Duration.ofSeconds(60);

    /** The ssh command that runs a script in the instance, on a connection of its own: looked up afresh for every session. */
    public interface Sessions {
        List<String> ssh(String script);
    }

    private final String name;
    private final FolderSettings settings;
    private final Sessions sessions;
    private final PrintStream log;
    private final long pid = ProcessHandle.current().pid();
    private final Set<Process> children = new HashSet<>();
    private boolean stopping; // guarded by children

    public FolderKeeper(String name, FolderSettings settings, Sessions sessions, PrintStream log) {
        this.name = name;
        this.settings = settings;
        this.sessions = sessions;
        this.log = log;
    }

    /** Runs until the instance stops or the keeper is told to. */
    public void run() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "folders-stop"));
        Path server = SftpServer.find();
        HostUser user = new HostUser(settings.hostUser(), settings.hostUid(), settings.hostGid(), null);
        List<Thread> threads = new ArrayList<>();
        for (HostFolder f : settings.parsed()) {
            Thread t = new Thread(() -> keep(f, server, user), "folder " + f.path());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) t.join();
        say("keeper ends: " + name + " no longer runs");
    }

    void stop() {
        synchronized (children) {
            stopping = true;
            for (Process p : children) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
        }
    }

    private boolean stopping() {
        synchronized (children) {
            return stopping;
        }
    }

    private void keep(HostFolder f, Path server, HostUser user) {
        long pause = 1000;
        while (!stopping()) {
            List<String> ssh = null;
            try {
                ssh = sessions.ssh(guestScript(f));
            } catch (MosvmException e) {
                if (e.exitCode() == ExitCodes.BAD_STATE && (e.getMessage().contains("is not running") || e.getMessage().contains("no instance"))) {
                    stop(); // stopped or destroyed: nothing to keep, for any folder
                    return;
                }
                say(f.path() + ": cannot reach " + name + ": " + e.getMessage()); // no address yet, libvirtd restarting: again
            } catch (RuntimeException e) {
                say(f.path() + ": cannot reach " + name + ": " + e);
            }
            long began = System.nanoTime();
            String why = ssh == null ? null : session(f, SftpServer.command(server, f, user), ssh);
            if (stopping()) return;
            if (Duration.ofNanos(System.nanoTime() - began).compareTo(STEADY) > 0) pause = 1000;
            if (why != null) say(f.path() + ": session ended (" + why + "); again in " + pause / 1000 + " s");
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
            pause = Math.min(pause * 2, MAX_PAUSE.toMillis());
        }
    }

    /** Starts a process as one of the keeper's, unless the keeper is stopping (then null). */
    private Process start(List<String> cmd) throws IOException {
        synchronized (children) {
            if (stopping) return null;
            Process p = new ProcessBuilder(cmd).start();
            children.add(p);
            return p;
        }
    }

    /** One session: returns why it ended. */
    private String session(HostFolder f, List<String> sftp, List<String> ssh) {
        Process server = null;
        Process link = null;
        try {
            server = start(sftp);
            link = server == null ? null : start(ssh);
            if (link == null) return "stopping";
            say(f.path() + ": session started (" + (f.writable() ? "read-write" : "read-only") + ")");
            pump(server.getInputStream(), link.getOutputStream(), "to appliance");
            pump(link.getInputStream(), server.getOutputStream(), "from appliance");
            lines(link.getErrorStream(), f.path() + ": appliance: ");
            lines(server.getErrorStream(), f.path() + ": sftp-server: ");
            Process s = server;
            Process first = java.util.concurrent.CompletableFuture.anyOf(server.onExit(), link.onExit()).thenApply(p -> (Process) p).join();
            return (first == s ? "sftp-server" : "ssh") + " exited with " + first.exitValue();
        } catch (IOException e) {
            return e.getMessage();
        } finally {
            synchronized (children) {
                for (Process p : new Process[] {server, link}) {
                    if (p == null) continue;
                    p.destroy();
                    children.remove(p);
                }
            }
        }
    }

    /** The source the keeper's sshfs mounts show (findmnt SOURCE): whose they are, for the agent and for `up`'s wait. */
    static String source(HostFolder f, long keeperPid) {
        return (f.pooled() ? "mosvm-pool:" : "mosvm-home:") + keeperPid;
    }

    /**
     * Mounts the folder at its path in the appliance: sshfs in passive mode talks SFTP on its
     * standard streams. allow_other: the appliance's NFS server (which serves the folder to jobs on
     * other nodes) and its users reach it, with the file modes checked by the kernel
     * (default_permissions) as the appliance user the files are shown as. noforget: files a job
     * on another node holds stay known, so their NFS handles do not go stale. The source names
     * the keeper (the agent exports only such mounts). A path that resolves elsewhere (a symbolic
     * link someone made in the appliance) is refused, and only a dead mount of mosvm's is taken
     * away first.
     */
    String guestScript(HostFolder f) {
        String d = ShellAccess.shellQuote(f.path().toString());
        String opts = "passive,allow_other,default_permissions,noforget,fsname=" + source(f, pid) + ",uid=" + settings.applianceUid()
                + ",gid=" + settings.applianceGid() + (f.writable() ? "" : ",ro");
        return "mkdir -p -- " + d + " || exit 1; "
                + "[ \"$(readlink -f -- " + d + ")\" = " + d + " ] || { echo " + d + " leads elsewhere in the appliance >&2; exit 1; }; "
                + "case \"$(findmnt -rn -o SOURCE -M " + d + ")\" in mosvm-*) umount -l -- " + d + ";; esac; "
                + "exec sshfs -f -o " + opts + " :" + d + " " + d;
    }

    private static void pump(InputStream in, OutputStream out, String what) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (in; out) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side ended: the session's end is reported by its processes' exits
            }
        }, "pump " + what);
        t.setDaemon(true);
        t.start();
    }

    private void lines(InputStream in, String prefix) {
        Thread t = new Thread(() -> {
            try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) say(prefix + l);
            } catch (IOException e) {
                // ended with its process
            }
        }, "log");
        t.setDaemon(true);
        t.start();
    }

    private synchronized void say(String line) {
        log.println(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " " + line);
        log.flush();
    }
}

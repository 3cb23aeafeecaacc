package dev.mosvm.manager.hostfolders;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.ShellAccess;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceNames;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An instance's host folders (docs/host-folders.md): which it shows, checked on the host before
 * anything is started; the appliance user they belong to; the keeper process that holds their
 * sessions (folders.pid, its log folders.log in the instance's directory), started once the
 * agent answers and stopped before the VM is.
 */
public final class HostFolders {
    public static final String KEEPER_COMMAND = "_keep-folders";
    /** sshfs's start under emulation, with a guest busy booting: a few seconds, rarely more. */
    static final Duration MOUNT_WAIT = Duration.ofSeconds(90);

    private final InstanceStore store;
    private final ShellAccess shells;

    public HostFolders(InstanceStore store, ShellAccess shells) {
        this.store = store;
        this.shells = shells;
    }

    /**
     * The folders `up` asked for, checked on the host as {@code user} reads them. An empty request
     * gives a new instance the user's home, read-only and for its jobs at home only (as Lima shows
     * it), where the appliance can show it at its path and the host can serve it; none for root.
     */
    public static FolderSettings settingsFor(List<String> specs, HostUser user) {
        List<HostFolder> folders = new ArrayList<>();
        List<String> homeOnly = new ArrayList<>();
        if (specs.isEmpty()) {
            HostFolder home = defaultHome(user);
            if (home != null) {
                folders.add(home);
                homeOnly.add(home.path().toString());
            }
        } else {
            folders = HostFolder.parseAll(specs);
            if (!folders.isEmpty() && user.isRoot()) {
                // sftp-server serves a folder as whoever runs it, and confines nothing to the folder
                throw new MosvmException(ExitCodes.ENVIRONMENT, "--mount: mosvm runs as root, not through sudo, so the folders would be "
                        + "served as root, and the appliance could read and write all of this host",
                        "run mosvm with sudo from your own account (or as that user where libvirt allows it)");
            }
        }
        for (HostFolder f : folders) {
            String why = readable(f.path(), user);
            if (why != null) throw MosvmException.invalid("--mount " + f.spec() + ": " + why);
        }
        return new FolderSettings(folders.stream().map(HostFolder::spec).toList(), homeOnly, user.name(), user.uid(), user.gid(),
                user.applianceName(), -1, -1);
    }

    /** The user's home as a read-only folder, or null where it cannot be one (root's, a path the appliance has, no sftp-server). */
    static HostFolder defaultHome(HostUser user) {
        if (user.isRoot() || user.home() == null || !Files.isDirectory(user.home()) || !SftpServer.available()) return null;
        try {
            HostFolder h = HostFolder.parseAll(List.of(user.home() + ":ro")).get(0);
            return readable(h.path(), user) == null && SftpServer.canServeAs(user) ? h : null;
        } catch (MosvmException e) { // a home the appliance cannot show at its path (C:\Users\..., a quote in it)
            return null;
        }
    }

    /** What serving the folders needs on this host (sftp-server, setpriv under sudo), checked before the appliance starts. */
    public static void checkHost(FolderSettings settings) {
        if (settings.folders().isEmpty()) return;
        SftpServer.find();
        HostUser u = new HostUser(settings.hostUser(), settings.hostUid(), settings.hostGid(), null);
        if (!SftpServer.canServeAs(u)) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "host folders: cannot serve them as " + u.name() + " (uid " + u.uid()
                    + "): setpriv is missing", "install util-linux");
        }
    }

    /** Why {@code user} cannot list {@code dir} on this host, or null. */
    static String readable(Path dir, HostUser user) {
        if (!Files.exists(dir)) return dir + " does not exist on this host";
        if (!Files.isDirectory(dir)) return dir + " is not a folder (mount the folder that holds it)";
        List<String> asUser = SftpServer.asUser(user);
        if (asUser.isEmpty()) {
            return Files.isReadable(dir) && Files.isExecutable(dir) ? null : user.name() + " cannot read " + dir + " on this host";
        }
        List<String> test = new ArrayList<>(asUser);
        test.addAll(List.of("test", "-r", dir.toString(), "-a", "-x", dir.toString()));
        try {
            Process p = new ProcessBuilder(test).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? null : user.name() + " (uid " + user.uid() + ") cannot read " + dir + " on this host";
        } catch (IOException e) {
            return "cannot check that " + user.name() + " may read " + dir + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    public Optional<FolderSettings> settings(String name) throws IOException {
        return FolderSettings.load(store.existing(name));
    }

    /** Keeps {@code settings} for the instance's next starts. */
    public void save(String name, FolderSettings settings) throws IOException {
        settings.save(store.existing(name));
    }

    /**
     * Mounts the instance's folders in it (it runs): makes the appliance user, starts the keeper
     * and waits until every folder is mounted by it; returns the folders. A keeper already there
     * is stopped first (and its mounts waited out), so new settings take effect and "none"
     * unmounts everything.
     */
    public List<HostFolder> mount(String name) throws IOException, InterruptedException {
        InstanceLayout l = store.existing(name);
        if (stop(name)) awaitNoFolders(name);
        Optional<FolderSettings> s = FolderSettings.load(l);
        if (s.isEmpty() || s.get().folders().isEmpty()) return List.of();
        checkHost(s.get());
        FolderSettings settings = withApplianceUser(name, s.get());
        settings.save(l);
        long pid = startKeeper(name, l);
        awaitMounted(name, l, settings.parsed(), pid);
        return settings.parsed();
    }

    /** Makes the appliance user the folders belong to (its name, with the host's uid where that is free and a user's). */
    private FolderSettings withApplianceUser(String name, FolderSettings s) throws IOException, InterruptedException {
        String user = s.applianceUser();
        if (user.equals("root")) return s.withApplianceIds(0, 0);
        if (!HostUser.APPLIANCE_NAME.matcher(user).matches()) throw MosvmException.invalid("cannot make appliance user '" + user + "'");
        int uid = s.hostUid();
        // jobs of users (uid 1000 to 60000) may leave home; a host uid outside that, or taken, is not reused
        String add = uid >= 1000 && uid <= 60000
                ? "if getent passwd " + uid + " >/dev/null; then useradd -m -d /home/" + user + ".linux " + user + "; else useradd -m -u " + uid
                        + " -d /home/" + user + ".linux " + user + "; fi"
                : "useradd -m -d /home/" + user + ".linux " + user;
        ShellAccess.Answer a = shells.run(name, "id -u " + user + " >/dev/null 2>&1 || " + add + " >&2 || exit 1; echo $(id -u " + user + ") $(id -g " + user
                + ")", Duration.ofSeconds(60));
        String[] ids = a.output().isEmpty() ? new String[0] : a.output().lines().reduce((x, y) -> y).orElse("").split(" ");
        if (!a.ok() || ids.length != 2) {
            throw new MosvmException(ExitCodes.FAILED, "cannot make appliance user " + user + " in " + name + ": " + a.output(), null);
        }
        return s.withApplianceIds(Integer.parseInt(ids[0]), Integer.parseInt(ids[1]));
    }

    private long startKeeper(String name, InstanceLayout l) throws IOException {
        List<String> cmd = new ArrayList<>();
        // its own session: the keeper outlives the terminal that ran `mosvm up`
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.mosvm.manager.cli.MosvmCommand", KEEPER_COMMAND, name));
        trimLog(l.foldersLog());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(l.foldersLog().toFile()))
                .redirectInput(ShellAccess.NO_INPUT)
                .start();
        Files.writeString(l.foldersPid(), Long.toString(p.pid()));
        return p.pid();
    }

    /** The keeper's log keeps its last 64 KiB or so: a keeper of an appliance that runs for months reconnects now and then. */
    private static void trimLog(Path log) throws IOException {
        if (!Files.isRegularFile(log) || Files.size(log) < 1 << 20) return;
        List<String> lines = Files.readAllLines(log);
        Files.write(log, lines.subList(Math.max(0, lines.size() - 1000), lines.size()));
    }

    /**
     * Waits until every folder is mounted by this keeper (its sshfs's source names the keeper's
     * pid, so an earlier keeper's mount does not count) and, in a pool, bound into the node's tree
     * by the agent; an error with the keeper's last words if one is not.
     */
    private void awaitMounted(String name, InstanceLayout l, List<HostFolder> folders, long pid) throws IOException, InterruptedException {
        StringBuilder check = new StringBuilder("t=/pool/.homes/" + name + "; ");
        for (HostFolder f : folders) {
            String d = ShellAccess.shellQuote(f.path().toString());
            check.append("[ \"$(findmnt -rn -o SOURCE -M ").append(d).append(")\" = ").append(FolderKeeper.source(f, pid)).append(" ] || exit 1; ")
                    .append("! mountpoint -q $t || [ \"$(findmnt -rn -o FSTYPE -M \"$t\"").append(d).append(")\" = fuse.sshfs ] || exit 1; ");
        }
        long deadline = System.nanoTime() + MOUNT_WAIT.toNanos();
        long logFrom = Files.isRegularFile(l.foldersLog()) ? Files.size(l.foldersLog()) : 0;
        while (System.nanoTime() < deadline) {
            if (shells.run(name, check.toString(), Duration.ofSeconds(30)).ok()) return;
            if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) break; // the keeper gave up (its log says why)
            Thread.sleep(1000);
        }
        String last = lastLines(l.foldersLog(), logFrom, 3);
        stop(name);
        throw new MosvmException(ExitCodes.FAILED, "the host folders of " + name + " did not mount" + (last.isEmpty() ? "" : ": " + last),
                name + " runs without them; see " + l.foldersLog() + ", or go on without folders: mosvm up " + name + " --mount none");
    }

    /**
     * Waits until the appliance's sshfs mounts of an earlier keeper are gone: each unmounts when
     * its stream ends, and the next mounts (or `--mount none`) must not meet them.
     */
    private void awaitNoFolders(String name) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (shells.run(name, "! findmnt -rn -t fuse.sshfs -o TARGET | grep -qv '^/pool/'", Duration.ofSeconds(30)).ok()) return;
            Thread.sleep(500);
        }
    }

    /** Stops the instance's keeper, if one runs (true): its sessions end and the guest's sshfs unmount. */
    public boolean stop(String name) throws InterruptedException {
        if (!store.exists(InstanceNames.validate(name))) return false;
        InstanceLayout l = store.layout(name);
        Optional<ProcessHandle> k = keeper(l);
        if (k.isPresent()) {
            ProcessHandle h = k.get();
            h.destroy();
            try {
                h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(l.foldersPid());
        } catch (IOException e) {
            // the directory went with a destroy
        }
        return k.isPresent();
    }

    /** Whether the instance's keeper runs (folders are kept mounted). */
    public boolean keeping(String name) {
        return store.exists(InstanceNames.validate(name)) && keeper(store.layout(name)).isPresent();
    }

    /**
     * The keeper named by folders.pid, if that process is alive, is one (where its arguments can
     * be read) and holds the instance's folder lock.
     */
    private static Optional<ProcessHandle> keeper(InstanceLayout l) {
        try {
            long pid = Long.parseLong(Files.readString(l.foldersPid()).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> {
                String[] args = h.info().arguments().orElse(null);
                return args == null || (args.length >= 2 && args[args.length - 2].equals(KEEPER_COMMAND) && args[args.length - 1].equals(l.name()));
            }).filter(h -> lockHeld(l));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether another process holds the instance's folder lock (a keeper runs). */
    static boolean lockHeld(InstanceLayout l) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(l.foldersLock(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock lock = ch.tryLock()) {
            return lock == null;
        } catch (IOException e) {
            return false;
        }
    }

    /** The last {@code n} lines the log gained after {@code from} bytes. */
    private static String lastLines(Path file, long from, int n) {
        try {
            byte[] b = Files.readAllBytes(file);
            List<String> all = new String(b, (int) Math.min(from, b.length), (int) Math.max(0, b.length - from), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
            return String.join("; ", all.subList(Math.max(0, all.size() - n), all.size()));
        } catch (IOException e) {
            return "";
        }
    }
}

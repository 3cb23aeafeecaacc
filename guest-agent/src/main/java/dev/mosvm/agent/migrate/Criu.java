package dev.mosvm.agent.migrate;

import dev.mosvm.agent.layout.GuestLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Runs CRIU (and the restore supervisor) for migrations, turning failures into one-line reasons. */
final class Criu {
    private Criu() {}

    /** The restore supervisor shipped in the image: waits for the restored job and exits with its status. */
    static final String RESTORE_JOB = GuestLayout.RESTORE_JOB.toString();

    /** Runs {@code criu ARGS} with its log in {@code dir/log}; throws with the log's first error. */
    static void run(Path dir, String log, String... args) throws IOException {
        run(dir, log, List.of(args));
    }

    static void run(Path dir, String log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("criu"));
        cmd.addAll(args);
        runCommand(dir, log, cmd, null);
    }

    /**
     * Runs a command line that ends in criu and its arguments (a {@link PageLink} command),
     * with {@code input} (its keys) as its standard input; throws with the log's first error.
     */
    static void runCommand(Path dir, String log, List<String> command, String input) throws IOException {
        runCommand(dir, log, command, input, null);
    }

    /** As above; a run longer than {@code limit} (null: none) is killed and fails with that reason. */
    static void runCommand(Path dir, String log, List<String> command, String input, java.time.Duration limit) throws IOException {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("-o", log));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String what = "criu " + command.get(command.indexOf("criu") + 1);
        java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<Void> killer = limit == null ? null
                : java.util.concurrent.CompletableFuture.runAsync(() -> {
                    late.set(true);
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }, java.util.concurrent.CompletableFuture.delayedExecutor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
        try (var stdin = p.getOutputStream()) {
            if (input != null) stdin.write(input.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // it ended before reading: its output says why
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int status = p.waitFor();
            if (killer != null) killer.cancel(false);
            if (status != 0 && late.get()) throw new IOException(what + " did not finish within " + limit.toSeconds() + " s: stopped");
            if (status != 0) throw new IOException(what + " failed: " + firstError(dir.resolve(log), out));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during " + what);
        }
    }

    /** Runs a criu subcommand that reports on standard output (cpuinfo check); throws with its words. */
    static void check(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("criu"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) throw new IOException(lastLines(out));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    static String firstError(Path log, String fallback) {
        try {
            for (String line : Files.readAllLines(log)) {
                if (line.contains("Error")) return line.replaceFirst("^\\([0-9. ]+\\)\\s*", "").strip();
            }
        } catch (IOException e) {
            // no log: use what criu printed
        }
        return lastLines(fallback);
    }

    private static String lastLines(String s) {
        List<String> lines = s.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "no message" : String.join(" / ", lines.subList(Math.max(0, lines.size() - 2), lines.size()));
    }

    /** Bytes of memory pages in one dump directory. */
    static long pagesBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("pages-")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /**
     * The directories and files the job's processes have open (working directories and
     * regular files by path): the target must have each of them for CRIU to restore the job.
     */
    static List<String> pathsUsedBy(Path cgroup) {
        java.util.Set<String> paths = new java.util.TreeSet<>();
        if (cgroup == null) return List.of();
        try {
            for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                if (pid.isBlank()) continue;
                Path proc = Path.of("/proc", pid.strip());
                addPath(paths, proc.resolve("cwd"));
                try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                    fds.forEach(fd -> addPath(paths, fd));
                }
            }
        } catch (IOException e) {
            // a process ended meanwhile: CRIU's own checks still apply
        }
        return List.copyOf(paths);
    }

    /** {@code path} inside the home's tree it is in (/pool/.homes/HOME/x: /x), or itself. */
    static String inTree(String path) {
        String homes = dev.mosvm.agent.layout.GuestLayout.HOMES_ROOT + "/";
        if (!path.startsWith(homes)) return path;
        int slash = path.indexOf('/', homes.length());
        return slash < 0 ? "/" : path.substring(slash);
    }

    private static void addPath(java.util.Set<String> paths, Path link) {
        try {
            String target = Files.readSymbolicLink(link).toString();
            String seen = inTree(target); // as the job sees it: its root is its home's tree, whose /dev and /proc are the node's
            if (target.startsWith("/") && !seen.startsWith("/dev/") && !seen.startsWith("/proc/") && !target.endsWith(" (deleted)")) paths.add(target);
        } catch (IOException e) {
            // gone, or not a link
        }
    }

    /**
     * Bytes waiting unread in the pipe behind {@code fd} of a process (0 if it is not a pipe): the
     * pipe opened anew through /proc, read-write so the open never waits, and asked (FIONREAD)
     * without reading.
     */
    static long unreadPipeBytes(long pid, int fd) throws IOException {
        if (pid < 0 || pipeOf(pid, fd) == null) return 0;
        try (java.io.RandomAccessFile pipe = new java.io.RandomAccessFile("/proc/" + pid + "/fd/" + fd, "rw");
             java.io.FileInputStream in = new java.io.FileInputStream(pipe.getFD())) {
            return in.available();
        }
    }

    /** The pipe behind a file descriptor of a process ("pipe:[123]"), or null if it is not a pipe. */
    static String pipeOf(long pid, int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
            return target.startsWith("pipe:[") ? target : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Takes the bytes waiting unread in the pipe behind {@code fd} of a stopped process. Opened
     * read-write, a pipe's open never waits for a writer; FIONREAD (available) says how much
     * is there, so the reads never block. Empty if the descriptor is not a pipe.
     */
    static byte[] takeUnreadPipeBytes(long pid, int fd) throws IOException {
        if (pipeOf(pid, fd) == null) return new byte[0];
        try (java.io.RandomAccessFile pipe = new java.io.RandomAccessFile("/proc/" + pid + "/fd/" + fd, "rw");
             java.io.FileInputStream in = new java.io.FileInputStream(pipe.getFD())) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            for (int n; in.available() > 0 && (n = in.read(buf)) > 0; ) out.write(buf, 0, n); // plain reads: readNBytes seeks
            return out.toByteArray();
        }
    }
}

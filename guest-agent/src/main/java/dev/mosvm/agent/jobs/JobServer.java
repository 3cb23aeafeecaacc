package dev.mosvm.agent.jobs;

import dev.mosvm.api.Json;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Runs jobs for `mosrun` callers on this node, over a Unix socket that any user may open:
 * the kernel tells who is calling (SO_PEERCRED), and the job runs as that user. Output flows
 * back as it is produced; the caller's input, end of input and signals flow in; the last
 * frame is the exit status. A caller that goes away (its terminal closed, or it was killed)
 * takes its job with it: the job gets SIGHUP, as a terminal's processes do.
 */
public final class JobServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobServer.class.getName());
    private static final int SIGHUP = 1;
    private final Path socket;
    private final Path cgroupRoot;
    private final ServerSocketChannel server;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final String node;

    /**
     * @param cgroupRoot where each job gets its cgroup (cgroup v2), or null for none
     */
    public JobServer(Path socket, Path cgroupRoot, String node) throws IOException {
        this.socket = socket;
        this.cgroupRoot = cgroupRoot;
        this.node = node;
        Files.createDirectories(socket.toAbsolutePath().getParent());
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // identity comes from the kernel
        Thread t = new Thread(this::acceptLoop, "jobs-accept");
        t.setDaemon(true);
        t.start();
        LOG.info("jobs on " + socket);
    }

    public List<Job> jobs() {
        return List.copyOf(jobs.values());
    }

    public int count() {
        return jobs.size();
    }

    /** What `mosps` shows of each job here, oldest first. */
    public List<JobView> views() {
        return jobs().stream().sorted(java.util.Comparator.comparing(Job::started))
                .map(j -> JobView.of(j, node, cgroupRoot == null ? null : cgroupRoot.resolve("job-" + j.id()))).toList();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread t = new Thread(() -> serve(c), "job-caller");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (server.isOpen()) LOG.warning("accept failed: " + e);
            }
        }
    }

    private void serve(SocketChannel channel) {
        try (channel) {
            UnixDomainPrincipal who = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            int uid = numericId(who.user().getName(), "passwd");
            int gid = numericId(who.group().getName(), "group");
            DataInputStream in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel)));
            DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(ChannelStreams.out(channel)));
            JobRequest req;
            try {
                req = Json.MAPPER.readValue(readLine(in), JobRequest.class);
                if (req.isList()) {
                    JobFrames.write(out, JobFrames.LIST, Json.MAPPER.writeValueAsBytes(views()));
                    return;
                }
                if (req.argv() == null || req.argv().isEmpty()) throw new IllegalArgumentException("no program to run");
            } catch (IOException | IllegalArgumentException e) {
                JobFrames.write(out, JobFrames.ERROR, ("bad request: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                return;
            }
            run(req, uid, gid, in, out);
        } catch (IOException e) {
            LOG.fine("caller connection ended: " + e);
        }
    }

    private void run(JobRequest req, int uid, int gid, DataInputStream in, DataOutputStream out) throws IOException {
        String id = node + "." + nextId.getAndIncrement();
        Path cgroup = cgroupFor(id);
        ProcessBuilder pb = new ProcessBuilder(LaunchCommand.of(req.argv(), uid, gid, cgroup == null ? null : cgroup.toString()));
        pb.environment().clear();
        if (req.env() != null) pb.environment().putAll(req.env());
        Path cwd = req.cwd() == null ? Path.of("/") : Path.of(req.cwd());
        if (!Files.isDirectory(cwd)) {
            JobFrames.write(out, JobFrames.ERROR, ("no such directory here: " + cwd).getBytes(StandardCharsets.UTF_8));
            return;
        }
        pb.directory(cwd.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            JobFrames.write(out, JobFrames.ERROR, ("cannot start the job: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        Job job = new Job(id, uid, req.argv(), p);
        jobs.put(id, job);
        LOG.info("job " + id + " started for uid " + uid + ": " + req.argv());
        JobFrames.write(out, JobFrames.STARTED, id.getBytes(StandardCharsets.UTF_8));
        Thread o = pump(p.getInputStream(), JobFrames.STDOUT, out, id);
        Thread e = pump(p.getErrorStream(), JobFrames.STDERR, out, id);
        Thread callerSide = new Thread(() -> fromCaller(job, in), "job-input-" + id);
        callerSide.setDaemon(true);
        callerSide.start();
        try {
            int status = p.waitFor();
            o.join();
            e.join();
            LOG.info("job " + id + " exited with " + status);
            JobFrames.writeInt(out, JobFrames.EXIT, status);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } finally {
            jobs.remove(id);
            if (cgroup != null) removeCgroup(cgroup);
        }
    }

    /** Input, end of input and signals from the caller; if the caller goes away, SIGHUP. */
    private static void fromCaller(Job job, DataInputStream in) {
        OutputStream stdin = job.launcher().getOutputStream();
        try {
            JobFrames.Frame f;
            while ((f = JobFrames.read(in)) != null) {
                switch (f.kind()) {
                    case JobFrames.STDIN -> {
                        stdin.write(f.payload());
                        stdin.flush();
                    }
                    case JobFrames.STDIN_EOF -> stdin.close();
                    case JobFrames.SIGNAL -> job.signal(f.asInt());
                    default -> throw new IOException("unexpected frame " + f.kind());
                }
            }
        } catch (IOException | InterruptedException e) {
            // the caller is gone or misbehaved: treat it as a hang-up below
        }
        if (job.launcher().isAlive()) {
            try {
                LOG.info("caller of job " + job.id() + " went away: SIGHUP");
                job.signal(SIGHUP);
            } catch (IOException | InterruptedException e) {
                LOG.warning("cannot hang up job " + job.id() + ": " + e);
            }
        }
    }

    private static Thread pump(InputStream from, int kind, DataOutputStream to, String id) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (from) {
                for (int n; (n = from.read(buf)) > 0; ) JobFrames.write(to, kind, buf, n);
            } catch (IOException e) {
                // caller gone: keep draining so the job never blocks on a full pipe
                try {
                    from.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // the job's side closed too
                }
            }
        }, "job-output-" + id);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private Path cgroupFor(String id) {
        if (cgroupRoot == null) return null;
        try {
            if (!Files.isDirectory(cgroupRoot)) {
                Files.createDirectories(cgroupRoot);
                enableControllers();
            }
            Path dir = cgroupRoot.resolve("job-" + id);
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            LOG.warning("no cgroup for job " + id + ": " + e.getMessage());
            return null;
        }
    }

    /** CPU and memory accounting for every job's cgroup (each line may be refused on its own). */
    private void enableControllers() {
        for (Path control : List.of(cgroupRoot.getParent().resolve("cgroup.subtree_control"), cgroupRoot.resolve("cgroup.subtree_control"))) {
            for (String c : List.of("+cpu", "+memory")) {
                try {
                    Files.writeString(control, c);
                } catch (IOException e) {
                    LOG.fine("cannot enable " + c + " in " + control + ": " + e.getMessage());
                }
            }
        }
    }

    private static void removeCgroup(Path dir) {
        try {
            Files.deleteIfExists(dir); // rmdir: the kernel refuses while any process is left in it
        } catch (IOException e) {
            LOG.fine("cgroup " + dir + " kept: " + e.getMessage());
        }
    }

    /** The numeric uid/gid behind a name the JDK reports (it resolves them through NSS). */
    private static int numericId(String name, String database) throws IOException {
        if (name.matches("\\d+")) return Integer.parseInt(name);
        try {
            Process p = new ProcessBuilder("getent", database, name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return Integer.parseInt(out.split(":")[2]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException | InterruptedException e) {
            throw new IOException("cannot resolve " + name, e);
        }
    }

    private static String readLine(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("no request");
            if (b.length() > JobFrames.MAX_PAYLOAD) throw new IOException("request too long");
            b.append((char) c);
        }
        return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}

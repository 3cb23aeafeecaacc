package dev.mosvm.agent.jobs;

import dev.mosvm.agent.net.PeerChannel;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Output of a job that runs away from home, sent to the home agent over the peer channel;
 * the home's signals and input come back on the same channel. If home cannot be reached (its
 * VM is down, the network dropped), the job keeps running: its frames go to a spool file on
 * this node and are replayed, in order, when the link to home is back.
 */
final class RemoteSink implements JobSink {
    private static final Logger LOG = Logger.getLogger(RemoteSink.class.getName());
    static final Path SPOOL = Path.of("/var/spool/mosvm");
    private final String jobId;
    private final String home;
    private final PeerDirectory peers;
    private final Consumer<JobFrames.Frame> control;
    private final JobSpec spec;
    private PeerChannel link;
    private boolean spooling;
    private boolean done;

    RemoteSink(JobSpec spec, PeerChannel link, PeerDirectory peers, Consumer<JobFrames.Frame> control) {
        this.spec = spec;
        this.jobId = spec.id();
        this.home = spec.home();
        this.peers = peers;
        this.control = control;
        this.link = link;
        listen(link);
    }

    /** Opens an attach link to home for a job that arrived here by migration. */
    static RemoteSink attach(JobSpec spec, PeerDirectory peers, Consumer<JobFrames.Frame> control) {
        RemoteSink s = new RemoteSink(spec, null, peers, control);
        synchronized (s) {
            s.spooling = true;
            s.reconnect();
        }
        return s;
    }

    private void listen(PeerChannel ch) {
        if (ch == null) return;
        Thread t = new Thread(() -> {
            try {
                JobFrames.Frame f;
                while ((f = JobFrames.read(ch.in)) != null) control.accept(f);
            } catch (IOException e) {
                LOG.fine("link to home of " + jobId + " ended: " + e);
            }
        }, "job-control-" + jobId);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void output(int kind, byte[] b, int n) {
        send(kind, b, n);
    }

    @Override
    public synchronized void exited(int status) {
        byte[] s = {(byte) (status >>> 24), (byte) (status >>> 16), (byte) (status >>> 8), (byte) status};
        send(JobFrames.EXIT, s, 4);
        done = true;
        if (!spooling) closeLink();
        else LOG.warning("job " + jobId + " ended with " + status + " while its home " + home + " was unreachable; kept in " + spoolFile());
    }

    @Override
    public synchronized void moved() {
        send(JobFrames.MOVED, new byte[0], 0);
        done = true;
        if (!spooling) closeLink();
    }

    private void send(int kind, byte[] b, int n) {
        if (!spooling) {
            try {
                JobFrames.write(link.out, kind, b, n);
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warning("home " + home + " of job " + jobId + " is unreachable (" + e.getMessage() + "); the job runs on, output kept in " + spoolFile());
                spooling = true;
                closeLink();
                startReconnectingLater();
            }
        }
        try {
            Files.createDirectories(SPOOL);
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(spoolFile(), StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
                JobFrames.write(out, kind, b, n);
            }
        } catch (IOException e) {
            LOG.severe("cannot spool output of job " + jobId + ": " + e);
        }
    }

    private Path spoolFile() {
        return SPOOL.resolve(jobId + ".frames");
    }

    private void startReconnecting() {
        Thread t = new Thread(() -> {
            while (true) {
                synchronized (this) {
                    if (!spooling) return;
                    if (reconnect()) return;
                }
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "job-reattach-" + jobId);
        t.setDaemon(true);
        t.start();
    }

    /** Attaches to home and replays the spool; true when the link is live again. */
    private boolean reconnect() {
        try {
            PeerChannel ch = peers.connect(home);
            PeerRequest.write(ch.out, PeerRequest.attach(spec));
            Path spool = spoolFile();
            if (Files.exists(spool)) {
                try (var in = Files.newInputStream(spool)) {
                    in.transferTo(ch.out);
                }
                ch.out.flush();
                Files.delete(spool);
            }
            link = ch;
            spooling = false;
            retrying = false;
            LOG.info("job " + jobId + " attached to its home " + home);
            if (done) closeLink();
            else listen(ch);
            return true;
        } catch (IOException e) {
            LOG.fine("home " + home + " of job " + jobId + " still unreachable: " + e.getMessage());
            if (spooling && link == null) startReconnectingLater();
            return false;
        }
    }

    private boolean retrying;

    private void startReconnectingLater() {
        if (retrying) return;
        retrying = true;
        startReconnecting();
    }

    private void closeLink() {
        try {
            if (link != null) {
                link.out.flush();
                link.close();
            }
        } catch (IOException e) {
            // already down
        }
    }
}

package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One running job on this node: its launcher process and who asked for it. */
public final class Job {
    private final String id;
    private final int uid;
    private final List<String> argv;
    private final Process launcher;
    private final Instant started = Instant.now();

    Job(String id, int uid, List<String> argv, Process launcher) {
        this.id = id;
        this.uid = uid;
        this.argv = List.copyOf(argv);
        this.launcher = launcher;
    }

    public String id() {
        return id;
    }

    public int uid() {
        return uid;
    }

    public List<String> argv() {
        return argv;
    }

    public Instant started() {
        return started;
    }

    Process launcher() {
        return launcher;
    }

    /**
     * The job's init (tini, PID 1 of its namespace): the child of the unshare launcher.
     * Signals go to it, and CRIU dumps the tree from it. -1 while it is not there yet.
     */
    public long initPid() {
        try {
            String children = Files.readString(Path.of("/proc/" + launcher.pid() + "/task/" + launcher.pid() + "/children")).strip();
            return children.isEmpty() ? -1 : Long.parseLong(children.split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Delivers a signal to the job (tini passes it on to the program). */
    public void signal(int signal) throws IOException, InterruptedException {
        long init = -1;
        for (int i = 0; i < 50 && (init = initPid()) < 0 && launcher.isAlive(); i++) Thread.sleep(20); // just started
        if (init < 0) return; // already gone
        Process kill = new ProcessBuilder("kill", "-s", String.valueOf(signal), String.valueOf(init)).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        kill.waitFor(5, TimeUnit.SECONDS);
    }
}

package dev.mosvm.agent.jobs;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.Whereabouts;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * An agent that starts finds the jobs a previous agent on this node left running (its records,
 * {@link JobRecords}) and takes them on, before it serves anyone: each supervisor held its job's
 * streams open meanwhile, so the job waited in its writes (and, with its input still open, in
 * its reads) and lost nothing. A job whose home is another node reattaches to it, as one that
 * arrived by migration does, and its home relays again. A job whose home is here has no caller
 * any more (it went with the previous agent): its output and status go to its owner's files, as
 * for a job of this home that attaches with no caller. A job that ended meanwhile has its status
 * reported the same ways. What cannot be adopted is left to {@link Orphans}.
 */
public final class Adoption {
    private static final Logger LOG = Logger.getLogger(Adoption.class.getName());

    private Adoption() {}

    /** Adopts every job recorded in {@code table}'s records whose supervisor still runs; returns their ids. */
    public static List<String> adoptAll(JobTable table) {
        List<String> adopted = new ArrayList<>();
        JobRecords records = table.records();
        if (records == null) return adopted;
        List<Path> dirs;
        try {
            dirs = records.dirs();
        } catch (IOException e) {
            LOG.warning("cannot look for jobs a previous agent left running: " + e.getMessage());
            return adopted;
        }
        for (Path dir : dirs) {
            if (adoptFrom(table, dir)) adopted.add(dir.getFileName().toString());
        }
        return adopted;
    }

    /** Adopts the job recorded in {@code dir}, or reports how it ended and removes the record; true if adopted. */
    static boolean adoptFrom(JobTable table, Path dir) {
        JobRecord r;
        try {
            r = JobRecords.read(dir);
        } catch (IOException e) {
            LOG.warning("job " + dir.getFileName() + " left no record a restarted agent can read (" + e.getMessage() + "): not adopted");
            forget(dir);
            return false;
        }
        String id = r.spec().id();
        long start = JobRecords.startTime(r.supervisor());
        if (start >= 0 && start == r.supervisorStart()) {
            MemoryArrival arrival = r.memoryArriving() && r.memoryFrom() != null
                    ? MemoryArrival.left(id, Path.of(r.memoryFrom()), table.lazyCgroupFor(id, false)) : null;
            String refused = refusal(r, arrival);
            long init = Job.firstChild(r.supervisor());
            boolean stopped = refused == null && r.stoppedFor() != null && init > 0 && stopped(init);
            CopyLedger.Settlement settled = stopped ? settleStopped(table, r) : null;
            if (stopped) refused = stoppedRefusal(r.stoppedFor(), r.spec().epoch(), settled);
            if (refused != null) {
                LOG.warning("job " + id + " is not adopted: " + refused + "; it is reaped, and its home recovers it or tells its caller");
                forget(dir);
                return false;
            }
            try {
                String lazy = arrival == null ? "" : arrival.running() ? "; its lazy restore goes on" : "; its lazy restore had completed";
                if (stopped) lazy += Job.CHECKPOINT.equals(r.stoppedFor()) ? "; a checkpoint's dump had left it stopped, and it runs on"
                        : "; home settled its move to " + r.stoppedFor() + " for this copy (epoch " + settled.epoch() + "), and it runs on";
                adopt(table, r, stopped ? r.spec().withEpoch(Math.max(r.spec().epoch(), settled.epoch())) : r.spec(), dir, arrival, stopped);
                LOG.warning("job " + id + " (home " + r.spec().home() + ", uid " + r.spec().uid() + ") adopted from the agent that ran before:"
                        + " supervisor " + r.supervisor() + (r.spec().home().equals(table.self()) ? "" : "; it reattaches to its home")
                        + lazy);
                return true;
            } catch (IOException | RuntimeException e) {
                if (JobRecords.startTime(r.supervisor()) != r.supervisorStart() && Files.exists(dir.resolve(JobRecords.STATUS))) {
                    // it ended while being adopted: its end is reported below, not thrown away (its home would run it again)
                    LOG.warning("job " + id + " ended while it was being adopted (" + e.getMessage() + ")");
                } else {
                    LOG.warning("job " + id + " could not be adopted (" + e.getMessage() + "): it ends with the agent that ran before");
                    forget(dir);
                    return false;
                }
            }
        }
        // its supervisor has ended (a process with its pid now is another one: it started at another time)
        Path statusFile = dir.resolve(JobRecords.STATUS);
        if (Files.exists(statusFile)) {
            int status = AdoptedSupervisor.statusIn(statusFile, r.supervisor());
            // criu killed with the agent, inside the job: a restored copy not yet resumed had no dump to die of
            String dumpFor = Job.RESTORED.equals(r.stoppedFor()) ? null : r.stoppedFor();
            String dumpDeath = DumpDeath.reason(id, table.self(), status, dumpFor, dumpFor != null);
            LOG.warning("job " + id + " ended with " + status + " while no agent ran here: not adopted, its end reported"
                    + (dumpDeath == null ? "" : " (" + DumpDeath.forLog(dumpDeath) + ")"));
            reportEnd(table, r.spec(), status, dumpDeath);
        } else {
            LOG.warning("job " + id + " is not adopted: its supervisor " + r.supervisor() + " has ended without a status"
                    + (start >= 0 ? " (that pid is another process's now)" : "") + "; what is left of it is reaped");
        }
        forget(dir);
        return false;
    }

    /**
     * Why a job whose supervisor runs on cannot be adopted, or null: its memory was still being
     * copied in by a daemon that ended before every page was in (what is missing would read as
     * zeros). A job a dump of the agent's left stopped is adopted if home settles that dump's
     * move for it ({@link #stoppedRefusal}); one stopped otherwise (its user's SIGSTOP) is
     * adopted as it is, stopped.
     *
     * @param arrival the lazy restore's daemon the record names, or null
     */
    static String refusal(JobRecord r, MemoryArrival arrival) {
        if (r.memoryArriving() && arrival == null) return "its lazy restore had not copied all its memory in when the agent stopped";
        if (arrival != null && !arrival.running() && !arrival.complete()) return arrival.failure() + " before all its memory was in";
        return null;
    }

    /** How long a restarted agent waits to hear of a stopped job's home by gossip before asking it: a few gossip rounds. */
    static final long HOME_KNOWN_WAIT_MILLIS = 15_000;

    /**
     * A job a move's final dump left stopped, the agent gone before the move ended: the copy
     * here is the job unless the target's reached home, which only home can say. Home settles
     * that move as it does one whose commit went unanswered ({@link CopyLedger#settle}): once it
     * settles it for this copy, the target's is fenced and can never attach. Null if home could
     * not be asked.
     */
    private static CopyLedger.Settlement settleStopped(JobTable table, JobRecord r) {
        // a checkpoint's dump makes no other copy: the one here is the job, at the epoch it has
        if (Job.CHECKPOINT.equals(r.stoppedFor())) return new CopyLedger.Settlement(CopyArbiter.Verdict.SOURCE_RESUMES, r.spec().epoch());
        if (Job.RESTORED.equals(r.stoppedFor())) return null; // never ran here: the copy it came from is the job
        String home = r.spec().home();
        if (home.equals(table.self())) {
            // this agent's ledger began with it: a copy that reached the agent before it is not in it, so the target is asked
            Whereabouts w = table.peers().has(r.stoppedFor(), r.spec().id(), HomeArbiter.ASK_MILLIS);
            if (w != null && (w.kind() == Whereabouts.Kind.RUNS || w.kind() == Whereabouts.Kind.LEFT)) {
                return new CopyLedger.Settlement(CopyArbiter.Verdict.TARGET_HAS_IT, r.spec().epoch());
            }
        } else {
            // a restarted agent's gossip knows nobody yet: home would be taken for gone
            long end = Monotonic.millis() + HOME_KNOWN_WAIT_MILLIS;
            while (table.peers().state(home).isEmpty() && Monotonic.millis() < end) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        return new HomeArbiter(table, HomeArbiter.ASK_MILLIS).settlement(r.spec(), r.stoppedFor());
    }

    /**
     * Why a job stopped for {@code stoppedFor} (its move's target, {@link Job#CHECKPOINT} or
     * {@link Job#RESTORED}) at epoch {@code epoch} is not adopted, given home's settlement of
     * that move; null: it runs on here.
     */
    static String stoppedRefusal(String stoppedFor, int epoch, CopyLedger.Settlement s) {
        if (Job.CHECKPOINT.equals(stoppedFor)) return null;
        if (Job.RESTORED.equals(stoppedFor)) return "it was restored here and never resumed: the copy it came from is the job";
        if (s == null) return "it is stopped for its move to " + stoppedFor + " and its home could not say whether that move went through";
        if (s.verdict() == CopyArbiter.Verdict.TARGET_HAS_IT) return "its move to " + stoppedFor + " went through (the copy there is the job), and this stopped copy is stale";
        // home settles for a source it has fenced already (it brought the job back from a checkpoint) without raising its epoch
        if (s.epoch() <= epoch) return "a newer copy of it runs (home brought it back from a checkpoint): this stopped copy is stale";
        return null;
    }

    private static boolean stopped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** @param arrival the lazy restore's daemon still copying the job's memory in, or that has (its record said so), or null */
    private static void adopt(JobTable table, JobRecord r, JobSpec spec, Path dir, MemoryArrival arrival, boolean thaw) throws IOException {
        AdoptedSupervisor s = AdoptedSupervisor.adopt(r.supervisor(), dir.resolve(JobRecords.STATUS), r.stdinClosed());
        OutputCounts counts = JobRecords.countsIn(dir);
        long[] counted = {counts.get(OutputCounts.STDOUT), counts.get(OutputCounts.STDERR)};
        OutputTail tail = OutputTail.resume(dir, counted);
        long[] kept = tail.end();
        // a chunk the stopped agent kept but had not counted yet: it was read from the job, so it counts
        for (int stream = 0; stream < 2; stream++) if (kept[stream] > counted[stream]) counts.add(stream, kept[stream] - counted[stream]);
        Job job = new Job(spec, s, r.cgroup() == null ? null : Path.of(r.cgroup()), null, counts, tail);
        job.outputBefore(r.outBefore(), r.errBefore());
        JobSink sink;
        try {
            sink = sinkFor(table, spec, "adopted here; its caller may reattach");
        } catch (IOException e) {
            tail.close();
            s.stdout().close();
            s.stderr().close();
            s.stdin().close();
            throw e;
        }
        job.sink(sink);
        if (arrival != null) job.memoryArriving(arrival.round()); // in its record from the start: a restart now follows the daemon too
        table.register(job);
        // the supervisor may not have let go of the input yet (the agent stopped between recording the end and telling it)
        if (r.stdinClosed()) job.control(Frame.empty(MessageType.STDIN_EOF));
        table.relay(job);
        if (arrival != null) arrival.follow(job); // the daemon outlived the agent: its images go once it ends
        if (thaw) {
            try {
                job.thaw();
            } catch (IOException e) {
                // it is in the table with its waiter: its end is reported from there
                LOG.warning("job " + spec.id() + " could not be thawed after its adoption: " + e.getMessage());
            }
        }
    }

    /** Where an adopted job's output and end go: a link to its home elsewhere, or files for its owner here. */
    private static JobSink sinkFor(JobTable table, JobSpec spec, String how) throws IOException {
        if (!spec.home().equals(table.self())) return table.sinkFor(spec);
        HomeRecord home = table.callerless(spec, table.self(), how);
        if (home == null) throw new IOException("its home is here and its output has nowhere to go");
        try {
            home.takeRelay(table.self(), null, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return home;
    }

    /**
     * Reports the end of a job that ended while no agent ran here: to its home (in the background:
     * home may take a while to answer); {@code dumpDeath}, if not null, says a dump killed it.
     */
    private static void reportEnd(JobTable table, JobSpec spec, int status, String dumpDeath) {
        JobSink sink;
        try {
            sink = sinkFor(table, spec, "ended here while no agent ran (its caller went with the agent that ran before)");
        } catch (IOException e) {
            LOG.warning("the end of job " + spec.id() + " cannot be reported: " + e.getMessage());
            return;
        }
        Thread t = new Thread(() -> {
            if (dumpDeath != null) sink.diedOfDump(status, dumpDeath);
            else sink.exited(status);
        }, "job-end-" + spec.id());
        t.setDaemon(true);
        t.start();
    }

    private static void forget(Path dir) {
        try {
            JobRecords.removeDir(dir);
        } catch (IOException e) {
            LOG.warning("cannot remove " + dir + ": " + e.getMessage());
        }
    }
}

package dev.mosvm.agent.migrate.steps;

/**
 * How long each step of a move may take, from the job's resident size when it was offered.
 * CRIU's steps grow with the job (a minute, and a second more for each 4 MiB, as a checkpoint's
 * dump); the gate and the peer's answers get fixed tens of seconds. Each side's wait for the
 * other covers the other's own step plus an answer's time, so the side that does the work gives
 * up first and says why, rather than the side that waits for it.
 */
public record StepDeadlines(long residentBytes) {
    /** The offer's checks on the target: image version, admission, {@code criu cpuinfo check} (seconds under emulation). */
    public static final long GATE_MILLIS = 60_000;
    /** One answer from the peer that involves no CRIU run (PAGES_READY, RUNNING, COMMIT, HAS, home's verdict). */
    public static final long ANSWER_MILLIS = 30_000;
    /** The source's retirement of its stopped copy before it sends the record (kill, reap, drain its pipes). */
    public static final long RETIRE_MILLIS = 40_000;
    static final long CRIU_BASE_MILLIS = 60_000;
    static final long CRIU_MILLIS_PER_4_MIB = 1_000;
    /** The longest pause between two questions while settling a commit. */
    public static final long MAX_BACKOFF_MILLIS = 15_000;

    public StepDeadlines {
        residentBytes = Math.max(0, residentBytes);
    }

    /** A criu run on this job: dump, pre-dump or restore. */
    public long criuMillis() {
        return CRIU_BASE_MILLIS + residentBytes / (4L << 20) * CRIU_MILLIS_PER_4_MIB;
    }

    /** One image round: the page server's start, criu writing into it, the files, and the target's ROUND_OK. */
    public long roundMillis() {
        return criuMillis() + ANSWER_MILLIS;
    }

    /** How long the source may spend in {@code s} (each pre-copy round, and each round of questions while settling, anew). */
    public long millis(SourceState s) {
        return switch (s) {
            case OFFERED -> GATE_MILLIS;
            case PRECOPY, DUMPING -> roundMillis();
            case RESTORING -> criuMillis() + ANSWER_MILLIS;
            case COMMITTED -> ANSWER_MILLIS;
            case SETTLING -> 2 * ANSWER_MILLIS; // home's word, then the target's
            case MOVED, STAYED, ENDED -> 0;
        };
    }

    /** How long the target may spend in {@code s} waiting for the source's next frame, or on its own step. */
    public long millis(TargetState s) {
        return switch (s) {
            case ACCEPTED, RESTORED, REGISTERED -> ANSWER_MILLIS;
            case RECEIVING -> roundMillis();
            case RESTORING -> criuMillis();
            case RUNNING -> ANSWER_MILLIS + RETIRE_MILLIS;
            case DROPPED -> 0;
        };
    }

    /** The pause after the {@code attempt}-th (from 0) unanswered question while settling: 1 s, doubling, at most 15 s. */
    public static long backoffMillis(int attempt) {
        return Math.min(MAX_BACKOFF_MILLIS, 1000L << Math.min(Math.max(attempt, 0), 4));
    }
}

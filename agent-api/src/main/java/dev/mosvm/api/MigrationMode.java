package dev.mosvm.api;

/**
 * How a migration is made, for comparing its methods (benchmarks, or a user ruling one out):
 * by default pre-copy rounds while the job runs, and on the target a lazy restore for jobs of
 * 128 MiB or more (the job resumes before its memory is copied into it), eager below.
 *
 * @param stopAndCopy  freeze the job at once and copy all of it (no pre-copy rounds)
 * @param eagerRestore copy all of the job's memory into it on the target before it resumes
 */
public record MigrationMode(boolean stopAndCopy, boolean eagerRestore) {
    public static final MigrationMode DEFAULT = new MigrationMode(false, false);
    /** A small job: freeze at once (its whole memory goes frozen in well under a second). */
    public static final MigrationMode STOP_AND_COPY = new MigrationMode(true, false);
    /**
     * Ushering: freeze at once (a pre-copying job would go on growing where memory is short),
     * and restore eagerly: an ushered job is one that keeps growing, and such a job restored
     * lazily has died of a corrupted heap (docs/status.md, Jobs and live migration).
     */
    public static final MigrationMode USHER = new MigrationMode(true, true);
}

package dev.mosvm.agent.migrate;

/**
 * When to stop pre-copying and freeze the job: pure, so it is tested without CRIU. Pre-dump
 * rounds copy memory while the job runs; each round after the first copies only what the job
 * dirtied meanwhile. Freeze when that delta is small (it is what the frozen round must send),
 * when it would not shrink (the job dirties memory as fast as it is copied, or its memory
 * grows, which the kernel counts as all of it dirty), or at the round limit.
 *
 * <p>The delta is known before a round runs: the agent reads the soft-dirty bits the round
 * would copy ({@link SoftDirtyPages}). Before the first round it reads what the job dirtied
 * while the target checked the offer; if that is most of the job, pre-copy cannot converge and
 * one frozen copy sends each page once instead of two or three times.
 *
 * @param maxRounds   pre-dump rounds at most (0 = stop-and-copy: freeze at once)
 * @param smallBytes  a delta this small is sent frozen
 * @param shrinkRatio a round must shrink the delta to this fraction of the previous one to go on
 */
public record PrecopyPolicy(int maxRounds, long smallBytes, double shrinkRatio) {
    public static final PrecopyPolicy DEFAULT = new PrecopyPolicy(5, 4L << 20, 0.7);
    public static final PrecopyPolicy STOP_AND_COPY = new PrecopyPolicy(0, 0, 0);
    /** The probe before the first round lasts at least this long for each MiB of the job ... */
    static final double PROBE_MILLIS_PER_MIB = 5;
    /** ... up to this: at most an eighth of a first round under TCG (25 MB/s), and a second at most. */
    static final long PROBE_MAX_MILLIS = 1000;

    /**
     * How long to watch the job's soft-dirty bits before deciding on the first round, from its
     * private memory: long enough to see a job that grows in steps (each step marks a whole
     * mapping dirty), short against the round it may save. The gate's checks run meanwhile, so
     * only what is left of this after them is waited for.
     */
    public static long probeMillis(long residentBytes) {
        return Math.min(PROBE_MAX_MILLIS, Math.round(Math.max(0, residentBytes) / (double) (1 << 20) * PROBE_MILLIS_PER_MIB));
    }

    /**
     * @param rounds     pre-dump rounds done so far
     * @param lastBytes  pages copied by the last round; before the first round, the job's private
     *                   memory (what the first round copies); -1 if unknown
     * @param prevBytes  pages copied by the round before the last (-1 if none)
     * @param dirtyBytes what the next round would copy, read from the soft-dirty bits just now;
     *                   before the first round, what the job dirtied during a short probe; -1 if unknown
     * @return true to run another pre-dump round, false to freeze and dump
     */
    public boolean anotherRound(int rounds, long lastBytes, long prevBytes, long dirtyBytes) {
        if (rounds >= maxRounds) return false;
        boolean known = dirtyBytes >= 0 && lastBytes > 0;
        if (rounds == 0) return !known || dirtyBytes <= lastBytes * shrinkRatio;
        if (known) return dirtyBytes > smallBytes && dirtyBytes <= lastBytes * shrinkRatio;
        if (lastBytes <= smallBytes) return false;
        return prevBytes < 0 || lastBytes <= prevBytes * shrinkRatio;
    }
}

package dev.mosvm.agent.migrate;

/**
 * When to stop pre-copying and freeze the job: pure, so it is tested without CRIU. Pre-dump
 * rounds copy memory while the job runs; each round after the first copies only what the job
 * dirtied meanwhile. Freeze when that delta is small (it is what the frozen round must send),
 * when it stops shrinking (the job dirties memory as fast as it is copied), or at the round limit.
 *
 * @param maxRounds   pre-dump rounds at most (0 = stop-and-copy: freeze at once)
 * @param smallBytes  a delta this small is sent frozen
 * @param shrinkRatio a round must shrink the delta to this fraction of the previous one to go on
 */
public record PrecopyPolicy(int maxRounds, long smallBytes, double shrinkRatio) {
    public static final PrecopyPolicy DEFAULT = new PrecopyPolicy(5, 4L << 20, 0.7);
    public static final PrecopyPolicy STOP_AND_COPY = new PrecopyPolicy(0, 0, 0);

    /**
     * @param rounds    pre-dump rounds done so far
     * @param lastBytes pages copied by the last round (-1 before the first)
     * @param prevBytes pages copied by the round before it (-1 if none)
     * @return true to run another pre-dump round, false to freeze and dump
     */
    public boolean anotherRound(int rounds, long lastBytes, long prevBytes) {
        if (rounds >= maxRounds) return false;
        if (rounds == 0) return true;
        if (lastBytes <= smallBytes) return false;
        return prevBytes < 0 || lastBytes <= prevBytes * shrinkRatio;
    }
}

package dev.mosvm.agent.balance;

import dev.mosvm.api.MigrationMode;

/**
 * How the balancer's moves are made, from the job's size and why it moves. Pure, so the
 * thresholds are tested without CRIU.
 */
public final class MoveMode {
    /**
     * Jobs smaller than this move by stop-and-copy when the balancer moves them: their whole
     * memory is sent frozen in well under a second, while a pre-copy round costs the node a
     * criu run of its own, seconds of an emulated CPU on the overloaded node it leaves.
     */
    public static final long PRECOPY_FROM_KB = 32 * 1024;
    /**
     * Jobs smaller than this are restored eagerly: the lazy-pages daemon's own start and the
     * image's flattening cost about a second under TCG, more than copying a small job in
     * (measured: a 10 MiB job froze 1.9 s restored eagerly, 3.2 s lazily; a 500 MiB one 5.1 s
     * eagerly, 2.1 s lazily, in the same run).
     */
    public static final long LAZY_FROM_KB = 128 << 10;

    private MoveMode() {}

    /**
     * The mode of a move the balancer chose. An ushered job is frozen at once (pre-copy would
     * let it go on growing in the memory the node is short of, and resend what it dirties) and
     * restored eagerly ({@link MigrationMode#USHER}); a small job is frozen at once too.
     */
    public static MigrationMode of(Move.Reason reason, long rssKb) {
        if (reason == Move.Reason.USHERED) return MigrationMode.USHER;
        return rssKb < PRECOPY_FROM_KB ? MigrationMode.STOP_AND_COPY : MigrationMode.DEFAULT;
    }

    /** Whether the target restores a job of {@code rssKb} lazily, unless the move asks for an eager restore. */
    public static boolean restoresLazily(boolean eagerAsked, long rssKb) {
        return !eagerAsked && rssKb >= LAZY_FROM_KB;
    }
}

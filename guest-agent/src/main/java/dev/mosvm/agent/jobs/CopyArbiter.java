package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;

/**
 * Home's word on which copy of a job runs when a move's source cannot learn from its target
 * whether the target resumed it (the commit's answer lost, the target unreachable or paused).
 * Every copy's output and exit status go to home, so home can decide for good: a target whose
 * copy has already reached home (attached, or ended and reported) has the job; otherwise home
 * fences that target's copy of this epoch, which is stopped when it attaches, and the source
 * resumes its own. Both answers are final: home remembers them. When the source resumes, its
 * copy is the job at a higher epoch from then on (the implementation gives it that epoch before
 * returning), so the job can later move to the same target again.
 */
public interface CopyArbiter {
    enum Verdict {
        /** The target's copy reached home: it is the job (it may have ended there already). */
        TARGET_HAS_IT,
        /** Home fenced the target's copy: the source resumes the job. */
        SOURCE_RESUMES,
        /**
         * Home could not be asked now (unreachable, gone, or it refused the question): ask again
         * later. A job home does not know (its agent restarted, or it ended long ago) is settled
         * all the same, for the source: waiting for an answer that cannot change would leave it
         * frozen for ever.
         */
        NO_ANSWER
    }

    /**
     * Settles the move of job {@code spec} to node {@code target}.
     *
     * @param spec the job's spec as the source sent it to the target (the target's copy attaches
     *             to home with it, which is how home tells this move's copy from earlier visits)
     */
    Verdict settle(JobSpec spec, String target);
}

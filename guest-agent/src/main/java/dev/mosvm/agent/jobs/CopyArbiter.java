package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;

/**
 * Home's word on which copy of a job runs when a move's source cannot learn from its target
 * whether the target resumed it (the commit's answer lost, the target unreachable or paused).
 * Every copy's output and exit status go to home, so home can decide for good: a target whose
 * copy has already reached home (attached, or ended and reported) has the job; otherwise home
 * fences that target's copy of this epoch, which is stopped when it attaches, and the source
 * resumes its own. Both answers are final: home remembers them.
 */
public interface CopyArbiter {
    enum Verdict {
        /** The target's copy reached home: it is the job (it may have ended there already). */
        TARGET_HAS_IT,
        /** Home fenced the target's copy: the source resumes the job. */
        SOURCE_RESUMES,
        /** Home could not be asked now (unreachable, or it does not know the job): ask again later. */
        NO_ANSWER
    }

    /** Settles the move of job {@code spec} to node {@code target}. */
    Verdict settle(JobSpec spec, String target);
}

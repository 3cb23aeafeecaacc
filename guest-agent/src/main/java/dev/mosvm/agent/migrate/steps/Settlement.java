package dev.mosvm.agent.migrate.steps;

/**
 * Which copy of a job lives when the source sent COMMIT and RUNNING did not come back. The
 * target's "no" alone cannot decide it: it also means the target's copy already ENDED there
 * (resuming here would run the job twice), and a target the pool declares gone may only be
 * partitioned away with its copy still running. Home sees every copy's output and exit, so its
 * word is final; the target's "yes" is enough to retire the copy here (it runs there); anything
 * less keeps the job frozen here and asks again, unless home itself is gone, when nobody can
 * arbitrate and the target's "no", or its being gone, lets the job resume here as the last resort.
 */
public final class Settlement {
    private Settlement() {}

    /** Home's word (the job's arbiter), as the source could get it. */
    public enum HomeWord { TARGET_HAS_IT, SOURCE_RESUMES, NO_ANSWER }

    public enum Decision {
        /** The target runs the job (or ran it to its end): kill the stopped copy here. */
        RETIRE,
        /** The target's copy is not the job: resume the stopped copy here. */
        RESUME,
        /** Undecided: keep the job frozen here and ask again after a pause. */
        ASK_AGAIN
    }

    /**
     * @param home       home's verdict
     * @param targetHas  the target's answer to "do you run it?" (null: no answer; asked only when home had none)
     * @param homeGone   the pool declares the job's home node gone
     * @param targetGone the pool declares the target gone
     */
    public static Decision decide(HomeWord home, Boolean targetHas, boolean homeGone, boolean targetGone) {
        if (home == HomeWord.TARGET_HAS_IT) return Decision.RETIRE;
        if (home == HomeWord.SOURCE_RESUMES) return Decision.RESUME;
        if (Boolean.TRUE.equals(targetHas)) return Decision.RETIRE;
        if (homeGone && (Boolean.FALSE.equals(targetHas) || targetGone)) return Decision.RESUME;
        return Decision.ASK_AGAIN;
    }
}

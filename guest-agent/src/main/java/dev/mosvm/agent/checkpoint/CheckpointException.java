package dev.mosvm.agent.checkpoint;

import java.io.IOException;

/**
 * Why a checkpoint cannot be stored or used, as one line a user can act on: its subject
 * ("checkpoint ca.17/4", or the path a user named) and what is wrong with it, a verb phrase
 * ("is damaged: pages-1.img has 4096 bytes, its manifest says 8192"). The two halves are kept
 * apart so a checkpoint whose ancestor fails can say "needs checkpoint ca.17/2, which is ...".
 */
public final class CheckpointException extends IOException {
    private final String subject;
    private final String problem;

    public CheckpointException(String subject, String problem) {
        super(subject + " " + problem);
        this.subject = subject;
        this.problem = problem;
    }

    /** What the line is about: "checkpoint JOB/N", a path, "checkpoints at home H". */
    public String subject() {
        return subject;
    }

    /** What is wrong with it, starting with its verb ("is damaged: ...", "was not sealed by this pool"). */
    public String problem() {
        return problem;
    }
}

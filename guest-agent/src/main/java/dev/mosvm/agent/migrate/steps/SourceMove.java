package dev.mosvm.agent.migrate.steps;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Runs the source's side of a move through its {@link SourceMachine}: one port call per step,
 * the step's deadline passed to it, its outcome classified and fed back. Afterwards the job
 * runs in exactly one place or has ended once: {@link SourceState#MOVED} retired the copy here,
 * {@link SourceState#STAYED} resumed it, {@link SourceState#ENDED} saw it end here.
 */
public final class SourceMove {
    private SourceMove() {}

    /**
     * How the move ended.
     *
     * @param end    MOVED, STAYED or ENDED
     * @param reason why it did not simply move (the first failure, one line), or null
     * @param rounds pre-copy rounds run
     */
    public record Result(SourceState end, String reason, int rounds) {}

    public static Result run(SourcePorts ports, SourceMachine m) {
        String reason = null;
        int rounds = 0;
        int asked = 0;
        while (!m.state().terminal()) {
            SourceState s = m.state();
            if (s == SourceState.SETTLING) {
                // each question gets its own share of the step: a hung home must not leave none for the target
                Settlement.HomeWord home = ports.askHome(m.deadline() - StepDeadlines.ANSWER_MILLIS);
                Boolean has = home == Settlement.HomeWord.NO_ANSWER ? ports.targetHas(m.deadline()) : null;
                Settlement.Decision d = Settlement.decide(home, has, ports.homeGone(), ports.targetGone());
                if (d == Settlement.Decision.ASK_AGAIN) ports.pause(StepDeadlines.backoffMillis(asked++));
                m.settle(d);
                continue;
            }
            Outcome o;
            try {
                o = step(ports, m, s, rounds + 1);
                if (s == SourceState.PRECOPY && o == Outcome.DONE) rounds++;
            } catch (IOException | RuntimeException e) {
                o = classify(ports, m, e);
                if (reason == null) reason = reason(s, o, e);
            }
            m.on(o);
        }
        switch (m.state()) {
            case STAYED -> {
                try {
                    ports.resumeHere();
                } catch (IOException | RuntimeException e) {
                    if (ports.jobEnded()) m.ended(); // it ended while frozen: once, here
                    else reason = (reason == null ? "" : reason + "; ") + "resuming it failed: " + e.getMessage();
                }
            }
            case ENDED -> ports.endedHere();
            case MOVED -> ports.retireHere();
            default -> throw new IllegalStateException(m.state().toString());
        }
        return new Result(m.state(), reason, rounds);
    }

    private static Outcome step(SourcePorts ports, SourceMachine m, SourceState s, int round) throws IOException {
        switch (s) {
            case OFFERED -> ports.offer(m.deadline());
            case PRECOPY -> {
                if (!ports.anotherRound()) return Outcome.FREEZE;
                ports.preDump(round, m.deadline());
            }
            case DUMPING -> ports.dump(round, m.deadline());
            case RESTORING -> ports.restore(round, m.deadline());
            case COMMITTED -> ports.commit(m.deadline());
            default -> throw new IllegalStateException(s.toString());
        }
        return Outcome.DONE;
    }

    /** What a failed step means: the job's end and the deadline explain a failure before its own words do. */
    static Outcome classify(SourcePorts ports, SourceMachine m, Exception e) {
        if (ports.jobEnded()) return Outcome.JOB_ENDED;
        if (m.late() || e instanceof InterruptedIOException) return Outcome.LATE;
        if (ports.targetGone()) return Outcome.PEER_GONE;
        if (e instanceof java.io.EOFException) return Outcome.ANSWER_LOST;
        return Outcome.FAILED;
    }

    private static String reason(SourceState s, Outcome o, Exception e) {
        String words = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (o == Outcome.LATE) return step(s) + " did not end in time (" + words + ")";
        return words;
    }

    /** A step's name for a user. */
    static String step(SourceState s) {
        return switch (s) {
            case OFFERED -> "the target's answer to the offer";
            case PRECOPY -> "a pre-copy round";
            case DUMPING -> "the final dump";
            case RESTORING -> "the restore on the target";
            case COMMITTED -> "the target's answer to the commit";
            default -> s.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}

package dev.mosvm.agent.migrate.steps;

import java.io.IOException;

/**
 * Runs the target's side of a move through its {@link TargetMachine}: every wait for the
 * source is bounded by the state's deadline, the committed copy is in the job table before it
 * runs, and a failure before it runs drops the copy. Afterwards a copy here either runs (and is
 * in the table) or is gone.
 */
public final class TargetMove {
    private TargetMove() {}

    /** @return RUNNING or DROPPED */
    public static TargetState run(TargetPorts ports, TargetMachine m) {
        while (true) {
            TargetMachine.Event e;
            try {
                e = ports.next(m.deadline());
            } catch (IOException | RuntimeException x) {
                return fail(ports, m, x);
            }
            TargetState before = m.state();
            if (m.on(e) == TargetState.DROPPED || before == TargetState.RUNNING && e != TargetMachine.Event.RECORD) {
                return fail(ports, m, new IOException("a frame out of order: " + e)); // once the copy runs, only the record may follow
            }
            try {
                switch (e) {
                    case ROUND -> ports.round(m.deadline());
                    case RESTORE -> {
                        ports.restore(m.deadline());
                        m.on(TargetMachine.Event.RESTORED);
                        ports.restored();
                    }
                    case COMMIT -> {
                        ports.register();
                        ports.resume();
                        m.on(TargetMachine.Event.RESUMED);
                        ports.running();
                    }
                    case RECORD -> {
                        ports.record();
                        return m.state();
                    }
                    default -> throw new IllegalStateException(e.toString());
                }
            } catch (IOException | RuntimeException x) {
                return fail(ports, m, x);
            }
        }
    }

    private static TargetState fail(TargetPorts ports, TargetMachine m, Exception x) {
        String why = x.getMessage() == null ? x.getClass().getSimpleName() : x.getMessage();
        if (m.state() == TargetState.RUNNING) {
            ports.afterRunning(why);
            return TargetState.RUNNING;
        }
        if (m.late()) why = "the step did not end by its deadline (" + why + ")";
        m.on(TargetMachine.Event.FAILED);
        ports.drop(why);
        return TargetState.DROPPED;
    }
}

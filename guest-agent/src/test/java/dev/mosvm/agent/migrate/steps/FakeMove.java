package dev.mosvm.agent.migrate.steps;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

/**
 * A move between a fake source world and a fake target world, joined by a fake channel on which
 * any call can fail, hang past its deadline (the clock jumps there: nothing sleeps), lose its
 * answer, find the peer gone, or find the job ended. The target runs the real
 * {@link TargetMachine}; home settles a lost commit as its arbiter would.
 */
final class FakeMove {
    /** The source's calls that can fail. */
    enum Call { OFFER, PRE_DUMP, DUMP, RESTORE, COMMIT, ASK_HOME, TARGET_HAS }

    enum Fault {
        /** The peer answers ERROR (or criu fails). */
        ERROR,
        /** The call hangs until its deadline, where the edge gives up. */
        LATE,
        /** The peer acts, but its answer never arrives. */
        ANSWER_LOST,
        /** The target's VM dies before it acts; the pool declares it gone. */
        PEER_GONE,
        /** The job's processes end (on the target, for a commit: the copy resumed there ends at once). */
        JOB_ENDED
    }

    enum SourceCopy { RUNNING, FROZEN, ENDED, RETIRED }

    enum TargetCopy { NONE, STOPPED, RUNNING, ENDED, DROPPED }

    final long[] now = {1_000_000};
    final StepDeadlines deadlines = new StepDeadlines(100L << 20);
    final Map<Call, ArrayDeque<Fault>> faults = new EnumMap<>(Call.class);
    final Source source = new Source();
    final Target target = new Target();
    boolean homeGone;
    /** Whether home's arbiter is wired (otherwise it never answers, as before the lead wires it). */
    boolean arbiterWired = true;
    int roundsWanted = 2;
    int pauses;
    long pausedMillis;

    FakeMove fault(Call c, Fault f) {
        faults.computeIfAbsent(c, k -> new ArrayDeque<>()).add(f);
        return this;
    }

    long now() {
        return now[0];
    }

    SourceMove.Result run() {
        SourceMove.Result r = SourceMove.run(source, new SourceMachine(deadlines, this::now));
        now[0] += 10 * deadlines.roundMillis(); // every deadline of the target's passes
        target.tick();
        return r;
    }

    final class Source implements SourcePorts {
        SourceCopy job = SourceCopy.RUNNING;
        int rounds;
        /** Sees each deadline the target's question is given. */
        java.util.function.LongConsumer targetAsked = d -> {};
        /** What the world does while the source waits to ask again. */
        Runnable pauseHook = () -> {};
        boolean dumpCut;

        /** Runs {@code act} unless {@code call}'s next fault stops it; {@code beforeAnswer} is what the peer did anyway. */
        private void hit(Call call, long deadline, Runnable act) throws IOException {
            ArrayDeque<Fault> q = faults.get(call);
            Fault f = q == null ? null : q.poll();
            if (f == null) {
                act.run();
                return;
            }
            switch (f) {
                case ERROR -> {
                    if (call.ordinal() >= Call.RESTORE.ordinal()) target.fail(); // the target gave up: its copy is dropped
                    throw new IOException(call + " failed on the target");
                }
                case LATE -> {
                    now[0] = Math.max(now[0], deadline);
                    if (call == Call.DUMP) dumpCut = true; // criu killed at the deadline: the job runs on
                    throw new SocketTimeoutException("Read timed out");
                }
                case ANSWER_LOST -> {
                    act.run();
                    throw new EOFException("the target closed the connection");
                }
                case PEER_GONE -> {
                    target.die();
                    throw new IOException("the target closed the connection");
                }
                case JOB_ENDED -> {
                    if (call == Call.COMMIT) {
                        act.run();
                        target.copy = TargetCopy.ENDED; // ran there, ended there: home has its status
                        throw new EOFException("the target closed the connection");
                    }
                    job = SourceCopy.ENDED;
                    throw new IOException("criu: the job's processes are gone");
                }
            }
        }

        @Override
        public void offer(long deadline) throws IOException {
            hit(Call.OFFER, deadline, target::accept);
        }

        @Override
        public boolean anotherRound() {
            return rounds < roundsWanted;
        }

        @Override
        public void preDump(int round, long deadline) throws IOException {
            hit(Call.PRE_DUMP, deadline, target::round);
            rounds++;
        }

        @Override
        public void dump(int round, long deadline) throws IOException {
            hit(Call.DUMP, deadline, () -> {
                job = SourceCopy.FROZEN;
                target.round();
            });
        }

        @Override
        public void restore(int round, long deadline) throws IOException {
            hit(Call.RESTORE, deadline, target::restore);
        }

        @Override
        public void commit(long deadline) throws IOException {
            hit(Call.COMMIT, deadline, target::commit);
        }

        @Override
        public boolean jobEnded() {
            return job == SourceCopy.ENDED;
        }

        @Override
        public void resumeHere() throws IOException {
            if (job == SourceCopy.ENDED) throw new IOException("no processes left to resume");
            if (job == SourceCopy.RETIRED) throw new AssertionError("resumed a retired copy");
            job = SourceCopy.RUNNING;
        }

        @Override
        public void endedHere() {
            if (job != SourceCopy.ENDED) throw new AssertionError("ended here, but the job is " + job);
        }

        @Override
        public void retireHere() {
            if (job != SourceCopy.FROZEN) throw new AssertionError("retiring a copy that is " + job);
            job = SourceCopy.RETIRED;
        }

        private boolean asked(Call call, long deadline) {
            ArrayDeque<Fault> q = faults.get(call);
            Fault f = q == null ? null : q.poll();
            if (f == Fault.LATE) now[0] = Math.max(now[0], deadline);
            if (f == Fault.PEER_GONE && call == Call.TARGET_HAS) target.die();
            if (f == Fault.PEER_GONE && call == Call.ASK_HOME) homeGone = true;
            return f == null;
        }

        @Override
        public Settlement.HomeWord askHome(long deadline) {
            if (!asked(Call.ASK_HOME, deadline) || homeGone || !arbiterWired) return Settlement.HomeWord.NO_ANSWER;
            return target.settle();
        }

        @Override
        public Boolean targetHas(long deadline) {
            targetAsked.accept(deadline);
            if (!asked(Call.TARGET_HAS, deadline) || target.gone) return null;
            return target.copy == TargetCopy.RUNNING;
        }

        @Override
        public boolean homeGone() {
            return homeGone;
        }

        @Override
        public boolean targetGone() {
            return target.gone;
        }

        @Override
        public void pause(long millis) {
            if (++pauses > 1000) throw new AssertionError("the move never settles");
            now[0] += millis;
            pausedMillis += millis;
            pauseHook.run();
        }
    }

    /** The target's world: the real state machine, and its copy of the job. */
    final class Target {
        TargetMachine m;
        TargetCopy copy = TargetCopy.NONE;
        boolean gone;
        boolean fenced;
        /** The copy ran here: its output (or its end) reached home. */
        boolean reachedHome;

        void accept() {
            if (gone) throw new IllegalStateException("gone");
            m = new TargetMachine(deadlines, FakeMove.this::now);
        }

        void round() {
            expectAlive();
            m.on(TargetMachine.Event.ROUND);
        }

        void restore() {
            expectAlive();
            m.on(TargetMachine.Event.RESTORE);
            m.on(TargetMachine.Event.RESTORED);
            copy = TargetCopy.STOPPED;
        }

        void commit() {
            expectAlive();
            if (m.on(TargetMachine.Event.COMMIT) != TargetState.REGISTERED) return; // dropped already: RUNNING never answered
            if (fenced) { // home stops a fenced copy as it attaches
                fail();
                return;
            }
            m.on(TargetMachine.Event.RESUMED);
            copy = TargetCopy.RUNNING;
            reachedHome = true;
        }

        void fail() {
            if (m != null) m.on(TargetMachine.Event.FAILED);
            if (copy == TargetCopy.STOPPED) copy = TargetCopy.DROPPED;
        }

        /** The target's own deadline: a copy never committed is dropped. */
        void tick() {
            if (gone || m == null) return;
            if (m.late() && m.state() != TargetState.RUNNING) fail();
            if (fenced && copy == TargetCopy.STOPPED) fail();
        }

        void die() {
            gone = true;
            if (copy == TargetCopy.STOPPED) copy = TargetCopy.DROPPED;
            if (copy == TargetCopy.RUNNING) throw new AssertionError("the test kills a target whose copy is the job");
        }

        /** Home's arbiter: a copy that reached home is the job; otherwise it is fenced and the source resumes. */
        Settlement.HomeWord settle() {
            if (reachedHome) return Settlement.HomeWord.TARGET_HAS_IT;
            fenced = true;
            return Settlement.HomeWord.SOURCE_RESUMES;
        }

        private void expectAlive() {
            if (gone || m == null) throw new IllegalStateException("no target");
        }
    }

    /**
     * What a user cares about after the move: the job runs in exactly one place or has ended
     * exactly once, no stopped copy is left, and the outcome says where it runs; null if so,
     * else what is wrong.
     */
    String violation(SourceMove.Result r) {
        int running = (source.job == SourceCopy.RUNNING ? 1 : 0) + (target.copy == TargetCopy.RUNNING ? 1 : 0);
        int ended = (source.job == SourceCopy.ENDED ? 1 : 0) + (target.copy == TargetCopy.ENDED ? 1 : 0);
        String world = "source " + source.job + ", target " + target.copy + (target.m == null ? "" : " (" + target.m.state() + ")") + ", result " + r;
        if (running + ended != 1) return "the job runs in " + running + " places and ended " + ended + " times: " + world;
        if (source.job == SourceCopy.FROZEN || target.copy == TargetCopy.STOPPED) return "a stopped copy is left: " + world;
        if (!r.end().terminal()) return "the move did not end: " + world;
        boolean here = source.job == SourceCopy.RUNNING || source.job == SourceCopy.ENDED;
        if (here != (r.end() != SourceState.MOVED)) return "the result names the wrong place: " + world;
        if (r.end() == SourceState.ENDED && source.job != SourceCopy.ENDED) return "ENDED, but the job did not end here: " + world;
        if (r.end() == SourceState.STAYED && (r.reason() == null || r.reason().isBlank() || r.reason().contains("\n"))) {
            return "no one-line reason for staying: " + world;
        }
        return null;
    }
}

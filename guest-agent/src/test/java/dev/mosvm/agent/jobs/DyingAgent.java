package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * An agent for {@link AdoptionIntegrationTest} to kill or stop: run in a JVM of its own (killing
 * it closes its ends of the job's pipes as a crash does, and no thread of it reads on), it starts
 * one job through a {@link JobTable} that keeps records, prints "started PID" with the job's
 * supervisor, then each line of the job's output, and waits to be killed.
 * Arguments: LAUNCHER RECORDS NODE JOB PROGRAM [ARGS...].
 */
public final class DyingAgent {
    private DyingAgent() {}

    public static void main(String[] a) throws Exception {
        JobTable table = new JobTable(a[2], null, PeerDirectory.NONE, a[0]);
        table.keepRecords(new JobRecords(Path.of(a[1])));
        table.stopReadingOnShutdown(); // as the agent does: SIGTERM stops it as `systemctl stop` does, SIGKILL as a crash
        List<String> argv = Arrays.asList(a).subList(4, a.length);
        JobSpec spec = JobSpec.fresh(a[3], a[2], 0, 0, argv, "2026-12-05T10:00:00Z", true, false, "home", "test");
        Job job = table.start(spec, Map.of("PATH", "/usr/bin:/bin"), "/", new JobSink() {
            @Override
            public synchronized void output(MessageType kind, byte[] b, int n) {
                System.out.write(b, 0, n);
                System.out.flush();
            }

            @Override
            public void exited(int status) {}

            @Override
            public void moved() {}
        });
        System.out.println("started " + job.launcher().pid());
        System.out.flush();
        Thread.currentThread().join();
    }
}

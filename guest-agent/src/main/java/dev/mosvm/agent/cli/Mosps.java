package dev.mosvm.agent.cli;

import dev.mosvm.agent.jobs.JobConnection;
import dev.mosvm.agent.jobs.JobRequest;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.JobView;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.Json;
import dev.mosvm.console.JobsTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `mosps`: every job in the pool, with owner, home, place, state, CPU time, memory and migrations. */
@Command(name = "mosps", mixinStandardHelpOptions = true, versionProvider = GuestCli.Version.class,
        description = "List every job in the pool: where it runs now, its CPU time, memory and migrations.")
public final class Mosps implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = {"-v", "--why"}, description = "Also say why each job is where it is (the placement or migration decision), "
            + "and its latest checkpoint.")
    boolean verbose;

    @Option(names = "--socket", hidden = true, paramLabel = "PATH", description = "The agent's job socket (tests).")
    Path socket = LocalAgent.JOBS_SOCKET;

    public static void main(String[] argv) {
        System.exit(GuestCli.commandLine(new Mosps()).execute(argv));
    }

    public static List<JobView> list(Path socket) throws IOException {
        try (JobConnection c = JobConnection.open(socket, JobRequest.list())) {
            Frame f = FrameCodec.read(c.in);
            if (f == null || f.type() != MessageType.LIST) throw new IOException("the agent did not answer the list request");
            return f.json(PeerRequest.JOB_LIST);
        }
    }

    @Override
    public Integer call() throws Exception {
        List<JobView> jobs = list(socket);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.pretty(jobs));
        } else {
            JobsTable.print(out, jobs, verbose);
        }
        out.flush();
        return 0;
    }
}

package dev.mosvm.agent.cli;

import dev.mosvm.agent.jobs.JobConnection;
import dev.mosvm.agent.jobs.JobRequest;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrateArguments;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.console.CheckpointSummary;
import dev.mosvm.console.MigrationSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * `migrate JOB NODE|home`: moves a running job (yours, or any as root) to another node of the
 * pool; `migrate JOB checkpoint` takes a checkpoint of it where it runs.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, versionProvider = GuestCli.Version.class,
        description = {"Move a running job to NODE (or back to its home) while it runs.",
                "migrate JOB checkpoint takes a checkpoint of the job instead (mosrun -R restarts it from one)."})
public final class Migrate implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Mixin MigrateArguments args;

    @Option(names = "--socket", hidden = true, paramLabel = "PATH", description = "The agent's job socket (tests).")
    Path socket = LocalAgent.JOBS_SOCKET;

    public static void main(String[] argv) {
        System.exit(GuestCli.commandLine(new Migrate()).execute(argv));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (args.checkpoint(spec.commandLine())) {
            CheckpointRecord c = ask(JobRequest.checkpoint(args.job), CheckpointRecord.class);
            if (args.json) out.println(Json.pretty(c));
            else CheckpointSummary.print(out, c);
        } else {
            MigrationRecord m = ask(JobRequest.migrate(args.job, args.node, args.mode()), MigrationRecord.class);
            if (args.json) out.println(Json.pretty(m));
            else MigrationSummary.print(out, args.job, m);
        }
        out.flush();
        return 0;
    }

    /** The agent's one answer to {@code request}, or its one-line reason thrown. */
    private <T> T ask(JobRequest request, Class<T> type) throws IOException {
        try (JobConnection c = JobConnection.open(socket, request)) {
            Frame f = FrameCodec.read(c.in);
            if (f == null) throw new IOException("the agent closed the connection");
            if (f.type() == MessageType.ERROR) throw new IOException(f.text());
            return f.json(type);
        }
    }
}

package dev.mosvm.agent.cli;

import dev.mosvm.agent.jobs.JobConnection;
import dev.mosvm.agent.jobs.JobRequest;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrateArguments;
import dev.mosvm.api.MigrationRecord;
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

/** `migrate JOB NODE|home`: moves a running job (yours, or any as root) to another node of the pool. */
@Command(name = "migrate", mixinStandardHelpOptions = true, versionProvider = GuestCli.Version.class,
        description = "Move a running job to NODE (or back to its home) while it runs.")
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
        MigrationRecord m;
        try (JobConnection c = JobConnection.open(socket, JobRequest.migrate(args.job, args.node, args.mode()))) {
            Frame f = FrameCodec.read(c.in);
            if (f == null) throw new IOException("the agent closed the connection");
            if (f.type() == MessageType.ERROR) throw new IOException(f.text());
            m = f.json(MigrationRecord.class);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (args.json) {
            out.println(Json.pretty(m));
        } else {
            MigrationSummary.print(out, args.job, m);
        }
        out.flush();
        return 0;
    }
}

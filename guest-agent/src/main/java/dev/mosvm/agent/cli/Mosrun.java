package dev.mosvm.agent.cli;

import dev.mosvm.agent.jobs.JobConnection;
import dev.mosvm.agent.jobs.JobFrames;
import dev.mosvm.agent.jobs.JobRequest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

/**
 * `mosrun PROGRAM [ARGS...]` inside an appliance: the agent runs the program as a job (its
 * own PID namespace and cgroup, as the caller, with the caller's environment and directory);
 * this terminal gets its output as it is produced and its exit status as ours, and Ctrl-C,
 * SIGTERM and SIGHUP reach the job. If this process is killed outright, the agent sees the
 * connection drop and hangs the job up.
 */
@Command(name = "mosrun", mixinStandardHelpOptions = true, versionProvider = GuestCli.Version.class,
        description = "Run PROGRAM as a pool job; its output, status and signals behave as if it ran here.")
public final class Mosrun implements Callable<Integer> {
    static final Path SOCKET = Path.of("/run/mosvm/jobs.sock");
    /** Signals passed on to the job (QUIT stays the JVM's: a thread dump of this client). */
    private static final String[] FORWARDED = {"INT", "TERM", "HUP", "USR1", "USR2"};

    @Option(names = "-L", description = "Stay on this (home) node: never migrated.")
    boolean local;

    @Option(names = "-r", paramLabel = "NODE", description = "Run on NODE (its output, status and signals still come and go here).")
    String node;

    @Option(names = "--socket", hidden = true, paramLabel = "PATH", description = "The agent's job socket (tests).")
    Path socket = SOCKET;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "Program to run.")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments.")
    List<String> args = new ArrayList<>();

    public static void main(String[] argv) {
        CommandLine cl = new CommandLine(new Mosrun()).setStopAtPositional(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("mosrun: " + e.getMessage());
            return 126; // as a shell reports a command it could not run
        });
        System.exit(cl.execute(argv));
    }

    @Override
    public Integer call() throws Exception {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(args);
        JobConnection job = JobConnection.open(socket, JobRequest.run(argv, System.getenv(), System.getProperty("user.dir"), node, local));
        DataOutputStream out = job.out;
        DataInputStream in = job.in;
        for (String name : FORWARDED) {
            try {
                Signal.handle(new Signal(name), s -> {
                    try {
                        JobFrames.writeInt(out, JobFrames.SIGNAL, s.getNumber());
                    } catch (IOException e) {
                        // the job is finishing; nothing to deliver to
                    }
                });
            } catch (IllegalArgumentException e) {
                // a signal this JVM keeps for itself
            }
        }
        Thread input = new Thread(() -> forwardInput(System.in, out), "stdin");
        input.setDaemon(true);
        input.start();
        PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        PrintStream stderr = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), false);
        JobFrames.Frame f;
        while ((f = JobFrames.read(in)) != null) {
            switch (f.kind()) {
                case JobFrames.STDOUT -> {
                    stdout.write(f.payload());
                    stdout.flush();
                }
                case JobFrames.STDERR -> {
                    stderr.write(f.payload());
                    stderr.flush();
                }
                case JobFrames.STARTED -> { }
                case JobFrames.ERROR -> throw new IOException(new String(f.payload(), StandardCharsets.UTF_8));
                case JobFrames.EXIT -> {
                    return f.asInt();
                }
                default -> throw new IOException("unexpected frame " + f.kind() + " from the agent");
            }
        }
        throw new IOException("the agent closed the job's stream before it ended");
    }

    private static void forwardInput(InputStream from, DataOutputStream to) {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = from.read(buf)) > 0; ) JobFrames.write(to, JobFrames.STDIN, buf, n);
            JobFrames.write(to, JobFrames.STDIN_EOF, new byte[0]);
        } catch (IOException e) {
            // the job ended; its input no longer matters
        }
    }
}

package dev.mosvm.api;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The arguments of `migrate` (in the guest) and `mosvm migrate` (on the host, which asks the
 * guest's agent for the same move, or the same checkpoint): one definition, so the two cannot
 * drift apart.
 */
public final class MigrateArguments {
    @Parameters(index = "0", paramLabel = "JOB", description = "Job id, as mosps (mosvm ps on the host) shows it.")
    public String job;

    @Parameters(index = "1", paramLabel = "NODE", description = "Target node, or 'home'; or 'checkpoint' to take a checkpoint of the job "
            + "where it runs instead of moving it.")
    public String node;

    @Option(names = "--json", description = "Print the migration's figures as JSON.")
    public boolean json;

    @Option(names = "--stop-and-copy", description = "Freeze the job at once and copy all of it (no pre-copy rounds); for comparison.")
    public boolean stopAndCopy;

    @Option(names = "--eager-restore", description = "On the target, copy all of the job's memory into it before it resumes "
            + "(a longer freeze); for comparison.")
    public boolean eagerRestore;

    public MigrationMode mode() {
        return new MigrationMode(stopAndCopy, eagerRestore);
    }

    /** The word in NODE's place that asks for a checkpoint of the job instead of a move, as MOSIX's `migrate JOB checkpoint`. */
    public static final String CHECKPOINT = "checkpoint";

    /** Whether a checkpoint is asked for rather than a move; a usage error if a move's options came with it. */
    public boolean checkpoint(CommandLine cl) {
        if (!CHECKPOINT.equals(node)) return false;
        if (stopAndCopy || eagerRestore) {
            throw new CommandLine.ParameterException(cl, "--stop-and-copy and --eager-restore are for moves: a checkpoint takes neither");
        }
        return true;
    }
}

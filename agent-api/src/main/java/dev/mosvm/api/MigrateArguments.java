package dev.mosvm.api;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The arguments of `migrate` (in the guest) and `mosvm migrate` (on the host, which asks the
 * guest's agent for the same move): one definition, so the two cannot drift apart.
 */
public final class MigrateArguments {
    @Parameters(index = "0", paramLabel = "JOB", description = "Job id, as mosps (mosvm ps on the host) shows it.")
    public String job;

    @Parameters(index = "1", paramLabel = "NODE", description = "Target node, or 'home'.")
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
}

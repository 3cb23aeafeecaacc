package dev.mosvm.api;

import java.nio.file.AccessDeniedException;
import picocli.CommandLine;

/**
 * The exit statuses of every mosvm command, on the host and inside an appliance, and the one
 * rule that says which failure ends a command with which.
 */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    /** The operation was attempted and failed (guest never ready, build failed, the agent refused). */
    public static final int FAILED = 1;
    /** Bad input: unknown command or option, invalid size or name. */
    public static final int INVALID_INPUT = 2;
    /** The request does not fit the current state: unknown or duplicate instance, image corrupt. */
    public static final int BAD_STATE = 3;
    /** The environment is missing something: libvirt not installed or not running, no permission. */
    public static final int ENVIRONMENT = 4;

    /**
     * The status a failure ends a command with: the one a {@link CommandFailure} carries, 2 for
     * a usage error, 4 when the file system refuses access, and 1 for everything else (an agent
     * that refused or did not answer, an I/O error, a bug).
     */
    public static int of(Throwable failure) {
        if (failure instanceof CommandFailure f) return f.exitCode();
        if (failure instanceof CommandLine.ParameterException) return INVALID_INPUT;
        if (failure instanceof AccessDeniedException) return ENVIRONMENT;
        return FAILED;
    }
}

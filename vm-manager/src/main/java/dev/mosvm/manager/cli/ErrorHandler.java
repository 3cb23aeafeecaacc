package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.CliErrors;
import dev.mosvm.api.CommandFailure;
import dev.mosvm.builder.BuildException;

/**
 * How the host's failures are worded; {@link CliErrors} prints them and gives the exit status
 * (from {@link dev.mosvm.api.ExitCodes}), the same way as the commands inside an appliance.
 */
final class ErrorHandler {
    private ErrorHandler() {}

    static CliErrors.Explanation explain(Exception ex) {
        if (ex instanceof CommandFailure f) return new CliErrors.Explanation(f.getMessage(), f.hint());
        if (ex instanceof BuildException b) return new CliErrors.Explanation(b.getMessage(), b.hint());
        if (ex instanceof java.nio.file.AccessDeniedException a) {
            return new CliErrors.Explanation("no permission to use " + a.getFile(),
                    "run as the user that owns it, or set MOSVM_HOME / MOSVM_CACHE to a directory of yours");
        }
        if (ex instanceof java.nio.file.FileSystemException f) {
            return new CliErrors.Explanation(f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason()), null);
        }
        if (ex instanceof AgentException a) {
            // the appliance's agent did not answer or refused: its state, not a bug here
            return new CliErrors.Explanation(a.getMessage(),
                    a.status() < 0 ? "is the appliance up and its agent started? 'mosvm status' shows each appliance's state" : null);
        }
        if (ex instanceof InterruptedException) return new CliErrors.Explanation("interrupted", null);
        return new CliErrors.Explanation(ex.getClass().getSimpleName() + ": " + ex.getMessage(),
                "this is a bug in mosvm; rerun with MOSVM_DEBUG=1 for the stack trace");
    }
}

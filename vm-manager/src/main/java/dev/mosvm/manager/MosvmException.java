package dev.mosvm.manager;

import dev.mosvm.api.CommandFailure;
import dev.mosvm.api.ExitCodes;

/**
 * A failure of the host's `mosvm` the user can act on: a one-line message, an optional hint or
 * detail block (printed after it), and the exit status from {@link ExitCodes}.
 */
public class MosvmException extends CommandFailure {
    public MosvmException(int exitCode, String message, String hint) {
        super(exitCode, message, hint);
    }

    public MosvmException(int exitCode, String message, String hint, Throwable cause) {
        super(exitCode, message, hint, cause);
    }

    public static MosvmException invalid(String message) {
        return new MosvmException(ExitCodes.INVALID_INPUT, message, null);
    }

    public static MosvmException state(String message, String hint) {
        return new MosvmException(ExitCodes.BAD_STATE, message, hint);
    }
}

package dev.mosvm.api;

/**
 * A failure the user can act on: a one-line message, an optional hint or detail block (printed
 * after it), and the exit status from {@link ExitCodes}.
 */
public class CommandFailure extends RuntimeException {
    private final int exitCode;
    private final String hint;

    public CommandFailure(int exitCode, String message, String hint) {
        super(message);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public CommandFailure(int exitCode, String message, String hint, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public int exitCode() {
        return exitCode;
    }

    public String hint() {
        return hint;
    }
}

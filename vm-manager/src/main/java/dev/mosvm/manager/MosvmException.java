package dev.mosvm.manager;

/**
 * A failure the user can act on: a one-line message, an optional hint or detail block
 * (printed after it), and the exit status from {@link ExitCodes}.
 */
public class MosvmException extends RuntimeException {
    private final int exitCode;
    private final String hint;

    public MosvmException(int exitCode, String message, String hint) {
        super(message);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public MosvmException(int exitCode, String message, String hint, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public static MosvmException invalid(String message) {
        return new MosvmException(ExitCodes.INVALID_INPUT, message, null);
    }

    public static MosvmException state(String message, String hint) {
        return new MosvmException(ExitCodes.BAD_STATE, message, hint);
    }

    public int exitCode() {
        return exitCode;
    }

    public String hint() {
        return hint;
    }
}

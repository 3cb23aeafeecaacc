package dev.mosvm.builder;

/** A build failed for a reason the user can act on; {@link #hint()} says how. */
public class BuildException extends Exception {
    private final String hint;

    public BuildException(String message, String hint) {
        super(message);
        this.hint = hint;
    }

    public BuildException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    public String hint() {
        return hint;
    }
}

package dev.mosvm.api;

/**
 * A request to an agent failed; {@link #status()} is the HTTP status or -1 for transport errors,
 * {@link #reason()} what the agent said, when it answered with one.
 */
public class AgentException extends Exception {
    private final int status;
    private final String reason;

    public AgentException(String message, int status, Throwable cause) {
        this(message, status, null, cause);
    }

    public AgentException(String message, int status, String reason, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.reason = reason;
    }

    public int status() {
        return status;
    }

    /** The one line of an agent's refusal (the "error" of its JSON answer), or null. */
    public String reason() {
        return reason;
    }

    public boolean unauthorized() {
        return status == 401;
    }
}

package dev.mosvm.api;

/** A request to an agent failed; {@link #status()} is the HTTP status or -1 for transport errors. */
public class AgentException extends Exception {
    private final int status;

    public AgentException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public boolean unauthorized() {
        return status == 401;
    }
}

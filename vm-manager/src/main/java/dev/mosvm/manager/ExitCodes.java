package dev.mosvm.manager;

/** Exit statuses of every mosvm command, in one place. */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    /** The operation was attempted and failed (guest never ready, build failed). */
    public static final int FAILED = 1;
    /** Bad input: unknown option, invalid size or name. */
    public static final int INVALID_INPUT = 2;
    /** The request does not fit the current state: unknown or duplicate instance, image corrupt. */
    public static final int BAD_STATE = 3;
    /** The environment is missing something: libvirt not installed or not running, no permission. */
    public static final int ENVIRONMENT = 4;
}

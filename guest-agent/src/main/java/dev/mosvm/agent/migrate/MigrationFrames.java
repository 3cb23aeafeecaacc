package dev.mosvm.agent.migrate;

/**
 * Frames of a migration between two agents, on the peer channel after the migrate-in request
 * (job frames below 20 keep their meaning: ERROR carries a one-line reason).
 * Source to target: per round PAGES (then CRIU sends the pages to the target's page server)
 * and the round's other image files; RESTORE, COMMIT, RECORD. Target to source: ACCEPT (with
 * its page-server certificate), PAGES_READY (the page server's port), ROUND_OK after each
 * round's files checked out (with the bytes of pages received), RESTORED (the job is restored
 * and still stopped), RUNNING (it runs on the target now).
 */
final class MigrationFrames {
    private MigrationFrames() {}

    /** Payload: the file's path under the migration's directory ("ROUND/NAME"). */
    static final int FILE = 20;
    static final int DATA = 21;
    /** Payload: u64 size, then u32 CRC32C of the file's bytes. */
    static final int FILE_END = 22;
    /** Payload: "ROUND/NAME\0TARGET". */
    static final int LINK = 23;
    static final int ROUND_END = 24;
    /** Payload: the target's page-server certificate (PEM). */
    static final int ACCEPT = 25;
    /** Payload: u64 bytes of memory pages the round brought. */
    static final int ROUND_OK = 26;
    /** Payload: the round directory to restore from. */
    static final int RESTORE = 27;
    static final int RESTORED = 28;
    /** Payload: JSON list of signals that arrived during the move. */
    static final int COMMIT = 29;
    static final int ABORT = 30;
    static final int RUNNING = 31;
    /** Payload: the migration's record (JSON), for the job's history. */
    static final int RECORD = 32;
    /** Payload: "ROUND" or "ROUND\0PARENT": start a page server for that round's directory. */
    static final int PAGES = 33;
    /** Payload: the page server's TCP port (decimal). */
    static final int PAGES_READY = 34;
}

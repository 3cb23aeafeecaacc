package dev.mosvm.agent.migrate;

/**
 * Frames of a migration between two agents, on the peer channel after the migrate-in request
 * (job frames below 20 keep their meaning: ERROR carries a one-line reason).
 * Source to target: image files round by round, RESTORE, COMMIT, RECORD. Target to source:
 * ACCEPT, ROUND_OK after each round's files checked out, RESTORED (the job is restored and
 * still stopped), RUNNING (it runs on the target now).
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
    static final int ACCEPT = 25;
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
}

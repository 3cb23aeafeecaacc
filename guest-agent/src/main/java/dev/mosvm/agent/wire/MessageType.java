package dev.mosvm.agent.wire;

/**
 * Every frame type the agents and their local callers exchange, with its code on the wire and
 * the shape of its payload. Append only: a code, once used, keeps its meaning; a type that is
 * no longer sent stays here so its code is never reused. Codes 1-19 are a job's stream
 * (between a caller and its agent, and between a job's home and the node it runs on), 20 and
 * above a migration (between its source and its target, after the migrate-in request), and
 * 35 a job's stream again (codes are append only).
 */
public enum MessageType {
    /** Runner to home, agent to caller: a chunk of the job's standard output. */
    STDOUT(1, Payload.BYTES),
    /** Runner to home, agent to caller: a chunk of the job's standard error. */
    STDERR(2, Payload.BYTES),
    /** The job's exit status (128 + signal if a signal ended it, as a shell reports it). */
    EXIT(3, Payload.U32),
    /** A one-line reason: the job did not start, a request was refused, a migration failed. */
    ERROR(4, Payload.TEXT),
    /** Agent to caller: the job's id; the job runs. */
    STARTED(5, Payload.TEXT),
    /** Caller to agent, home to runner: a chunk of the caller's input. */
    STDIN(6, Payload.BYTES),
    /** Caller to agent, home to runner: the caller's input ended. */
    STDIN_EOF(7, Payload.EMPTY),
    /** Caller to agent, home to runner: a signal number to deliver to the job. */
    SIGNAL(8, Payload.U32),
    /** The answer to a list or moves request: a JSON array (of jobs, or of moves). */
    LIST(9, Payload.JSON),
    /** Runner to home: the job left that node; its next node attaches. */
    MOVED(10, Payload.EMPTY),
    /** The first frame an agent sends on a connection after the version exchange: a {@link PeerRequest} (JSON). */
    REQUEST(11, Payload.JSON),
    /** A JSON answer: a migration's record, or true/false to "has". */
    REPLY(12, Payload.JSON),
    /**
     * Home to runner: the job's EXIT arrived. Until it comes the runner keeps the status and
     * sends it again over a new link: a write that returned may still die in a dropped link.
     */
    EXIT_ACK(13, Payload.EMPTY),
    /**
     * Runner to home: a move of the job begins. Home stops sending the caller's input and
     * signals to this runner, keeps them, and answers {@link #HOLD_ACK} behind the last it sent:
     * the runner has everything before the ACK (and carries it along), nothing comes after it.
     */
    HOLD(14, Payload.EMPTY),
    HOLD_ACK(15, Payload.EMPTY),
    /** Runner to home: the move failed, the job runs on here; send the caller's input and signals here again. */
    RESUME_CONTROL(16, Payload.EMPTY),
    /**
     * Both ways, first on every agent-to-agent connection: the sender's {@link Protocol#VERSION}.
     * It keeps this form (code 17, a u32) in every version, so any two agents can tell each other apart.
     */
    VERSION(17, Payload.U32),
    /**
     * Agent to caller, in place of EXIT: the job is lost, a one-line reason naming the node it
     * ran on (gone: DEAD, LEFT or removed, or a dump there killed it) while it had no
     * checkpoint. `mosrun` prints it and exits with 125. Also runner to home (protocol 8), in
     * place of EXIT: a dump of the job killed it; home acknowledges it with EXIT_ACK and
     * recovers the job from its checkpoint, or passes the text on to the caller.
     */
    LOST(18, Payload.TEXT),
    /**
     * Home to a node attaching for a job: that node's copy is stale (the node was declared gone,
     * and the job recovered from a checkpoint or ended lost); the node kills it, and it never
     * writes output or an exit status. The text says why.
     */
    FENCED(19, Payload.TEXT),

    /** Source to target: an image file of the round begins; its path "ROUND/NAME". */
    FILE(20, Payload.TEXT),
    /** Source to target: the next bytes of the file begun. */
    DATA(21, Payload.BYTES),
    /** Source to target: the file ended; its size (u64) and CRC32C (u32). */
    FILE_END(22, Payload.SIZE_AND_CRC),
    /** Source to target: a symlink of the round, "ROUND/NAME\0../PARENT" (the round's link to its parent). */
    LINK(23, Payload.TEXT),
    /** Source to target: the round's files are all sent; the round's name. */
    ROUND_END(24, Payload.TEXT),
    /** Target to source, answering migrate-in: the target takes the job (else ERROR with the reason). */
    ACCEPT(25, Payload.EMPTY),
    /** Target to source: the round's files checked out; the bytes of memory pages the round brought (u64). */
    ROUND_OK(26, Payload.U64),
    /** Source to target: restore the job, stopped, from this round ("ROUND"). */
    RESTORE(27, Payload.TEXT),
    /** Target to source: the job is restored and still stopped. */
    RESTORED(28, Payload.EMPTY),
    /**
     * Source to target: the target's copy is the job now. JSON of what reached the job while it
     * moved: {"signals":[int], "input":base64, "eof":bool} (jobs.Job.Held).
     */
    COMMIT(29, Payload.JSON),
    /** Source to target: give up the migration. Today's source closes the connection instead; a target still honours it. */
    ABORT(30, Payload.EMPTY),
    /** Target to source: the job runs on the target. */
    RUNNING(31, Payload.EMPTY),
    /** Source to target: the migration's record (JSON {@link MigrationRecord}), for the job's history. */
    RECORD(32, Payload.JSON),
    /** Source to target: start a page server for a round, "ROUND" or "ROUND\0PARENT" ({@link MigrationFrames.Pages}). */
    PAGES(33, Payload.TEXT),
    /** Target to source: the page server listens; "PORT KEYS" ({@link MigrationFrames.PagesReady}). */
    PAGES_READY(34, Payload.TEXT),
    /**
     * Runner to home, on a job's stream: the output frames that follow begin at these offsets
     * of the job's stdout and stderr ({@link OutputPosition}). Sent before the first output on
     * every link and in every spool, and before output sent again after an agent restart:
     * home passes on only what its caller has not had, and counts what never came.
     */
    POSITION(35, Payload.OFFSETS);

    /** What a type's payload is; a decoder refuses a payload of another shape. */
    public enum Payload {
        EMPTY(0),
        /** A big-endian 32-bit integer. */
        U32(4),
        /** A big-endian 64-bit integer. */
        U64(8),
        /** u64 size, then u32 CRC32C. */
        SIZE_AND_CRC(12),
        /** Two big-endian 64-bit integers. */
        OFFSETS(16),
        /** Valid UTF-8. */
        TEXT(-1),
        /** UTF-8 JSON, read with the limits of {@link WireJson}. */
        JSON(-1),
        /** Any bytes. */
        BYTES(-1);

        /** The exact length of such a payload, or -1 if any length up to the frame limit will do. */
        public final int fixedLength;

        Payload(int fixedLength) {
            this.fixedLength = fixedLength;
        }
    }

    public final int code;
    public final Payload payload;

    MessageType(int code, Payload payload) {
        this.code = code;
        this.payload = payload;
    }

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            if (BY_CODE[t.code] != null) throw new ExceptionInInitializerError("code " + t.code + " used twice");
            BY_CODE[t.code] = t;
        }
    }

    /** The type with this code; a code no type has is malformed input. */
    public static MessageType of(int code) throws MalformedFrameException {
        MessageType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) throw new MalformedFrameException("unknown frame type " + code);
        return t;
    }
}

package dev.mosvm.agent.wire;

/**
 * The sizes the agents' wire formats allow. A decoder checks every declared length against
 * these before it allocates, so what a peer (or a local caller) sends can make this node
 * allocate at most a frame's worth per frame.
 */
public final class WireLimits {
    private WireLimits() {}

    /** A frame's header: type (u8) and payload length (u32). */
    public static final int FRAME_HEADER_BYTES = 5;
    /**
     * The largest payload of one frame. Output, input and image data are cut into frames of at
     * most this; a JSON payload (a job list, a request, a commit's held input) must fit in one.
     */
    public static final int MAX_FRAME_PAYLOAD = 1 << 20;
    /** How deep a JSON payload may nest (the deepest, a request's job spec with its migrations, needs 5). */
    public static final int MAX_JSON_NESTING = 32;
    /** The longest node id: its name in the pool, of at most 64 ASCII characters (Membership checks new ones). */
    public static final int MAX_NODE_ID_BYTES = 64;
    /** The longest job id ("HOME.N", HOME a node id of at most {@link #MAX_NODE_ID_BYTES} characters). */
    public static final int MAX_JOB_ID_CHARS = 96;
    /** The highest image round of one migration (rounds are named 1, 2, ...; pre-copy stops after a handful). */
    public static final int MAX_ROUND = 999;
    /** The longest image file name in a round directory: a file system's NAME_MAX. */
    public static final int MAX_IMAGE_NAME_BYTES = 255;
    /** The longest text of a structured payload: a round, an image path or link, a page server's port and keys. */
    public static final int MAX_FIELD_BYTES = 1024;
    /** The most checkpoints a job's home keeps (mosrun -N). */
    public static final int MAX_KEEP_CHECKPOINTS = 100;
    /** The most of a peer's text an error message repeats. */
    static final int MAX_QUOTED_CHARS = 80;
}

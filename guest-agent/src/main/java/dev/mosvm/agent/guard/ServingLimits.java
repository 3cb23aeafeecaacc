package dev.mosvm.agent.guard;

/**
 * The bounds that keep the agent serving under abuse, in one place: how many connections each
 * server holds at once, how long a client may take to open one, how much a request may make
 * the agent hold, and how failed tasks are restarted. The agent's heap is 12 MiB
 * (images/files/etc/mosvm/agent-jvm.options), so the figures are small: everything a flood can
 * make the agent hold at once stays well under it.
 *
 * <p>Each server refuses in two stages. A connection still opening (a TLS handshake and its
 * request, the pool key's proof, a request line) is cheap to make and proves nothing, so few
 * are held, few per address or user, each for at most {@link #OPENING_MILLIS}. What follows
 * belongs to a client that proved itself (or to a local user running real jobs), and is
 * bounded only against runaway numbers.
 */
public final class ServingLimits {
    private ServingLimits() {}

    /**
     * How long a connection's opening may take: the TLS handshake and request head on the
     * API, the key proof (and request) on the peer service, the request line on the job socket.
     * A legitimate client sends it at once (well under a second on an emulated, saturated node);
     * a client slower than this, say one byte a minute, is dropped and its thread freed.
     */
    public static final long OPENING_MILLIS = 10_000;

    /**
     * Peer connections still proving the pool key, from one address. A peer opens one per job
     * start, list or move, so a batch of jobs started together opens that many at once (the
     * balancing tests start 12); a stranger's flood holds no more than this.
     */
    public static final int PEER_OPENINGS_PER_ADDRESS = 16;
    /**
     * Peer connections still proving the pool key, from all addresses: each holds a thread and
     * an 8 KiB read buffer until its deadline; twice one address's share, so a flood from one
     * address leaves room for the pool's real members.
     */
    public static final int PEER_OPENINGS = 32;
    /**
     * Requests of proven peers served at once: relays of jobs that run elsewhere, migrations,
     * lists. Each holds a thread and its channel's buffers (128 KiB and more); the heap runs
     * out before a pool of a few nodes reaches this, so it only stops a runaway peer.
     */
    public static final int PEER_REQUESTS = 128;

    /** Threads serving the HTTPS API: the host asks one thing at a time per command; four keep a slow client from blocking the rest. */
    public static final int API_THREADS = 4;
    /**
     * HTTPS connections open at once (the JDK server closes any beyond at once). Each TLS
     * connection holds about 70 KiB of buffers; the host needs a handful.
     */
    public static final int API_CONNECTIONS = 16;
    /** Keep-alive connections kept idle: the host's repeated calls (`mosvm mon`) reuse one or two. */
    public static final int API_IDLE_CONNECTIONS = 4;
    /** Seconds a keep-alive connection may idle before it is closed. */
    public static final int API_IDLE_SECONDS = 10;
    /** Request headers per request: the host sends five or six. */
    public static final int API_HEADERS = 32;
    /** Bytes of request head (request line and headers): the host's are a few hundred. */
    public static final int API_HEADER_BYTES = 16 * 1024;
    /** The most request body read: every request of the API is a small JSON object. */
    public static final int API_BODY_BYTES = 64 * 1024;
    /**
     * Requests that wait on peers (a job list, a move) served at once, each on its own thread so
     * the API's threads stay free for facts and nodes; more at once are answered 503.
     */
    public static final int API_LONG_REQUESTS = 4;

    /**
     * Job-socket connections whose request line is still being read, per user. Reading one
     * includes looking the caller up (getent, slow under emulation), so a script starting a dozen
     * jobs at once goes over it: as many again per user queue for a place, unread and with no
     * thread of their own, within the same {@link #OPENING_MILLIS} from their accept, rather than
     * being turned away.
     */
    public static final int JOB_OPENINGS_PER_USER = 8;
    /** Job-socket connections whose request line is still being read, from all users. */
    public static final int JOB_OPENINGS = 32;
    /**
     * What request lines being read may hold together, in bytes. A request is a job's
     * arguments and environment, a few KiB; the largest allowed (WireLimits.MAX_FRAME_PAYLOAD)
     * still fits, and a flood of large ones holds no more than this.
     */
    public static final int JOB_REQUEST_BYTES = 2 << 20;
    /** Callers served at once per user: running jobs (`mosrun`), lists and moves. */
    public static final int JOB_CALLERS_PER_USER = 128;
    /** Callers served at once from all users: each running job's caller holds two or three threads. */
    public static final int JOB_CALLERS = 256;

    /**
     * The longest pause before a failed task runs again. Each failure in a row doubles the pause
     * from the task's period; a task that keeps failing still tries twice a minute, and its log
     * line comes no more often than that.
     */
    public static final long RESTART_BACKOFF_MAX_MILLIS = 30_000;
    /** The first pause of a loop (an accept loop, the gossip receiver) after a failure: it has no period of its own. */
    public static final long LOOP_RESTART_MILLIS = 100;
    /** Refused connections and requests are logged at most once per this, with the count since the last line. */
    public static final long REFUSAL_LOG_MILLIS = 10_000;
}

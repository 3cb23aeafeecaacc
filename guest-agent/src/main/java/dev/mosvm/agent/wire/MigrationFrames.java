package dev.mosvm.agent.wire;

import java.util.regex.Pattern;

/**
 * A migration between two agents, on the peer connection after the source's migrate-in
 * {@link PeerRequest} (its offer). The conversation, as {@code migrate.SourceMigration} and
 * {@code migrate.TargetMigration} hold it; the target may answer ERROR (a one-line reason)
 * wherever it answers anything else, and the migration ends there:
 * <pre>
 *   target: ACCEPT                                                  (empty)
 *   per round N = 1, 2, ...:
 *     source: PAGES "N" or "N\0N-1"                                 ({@link Pages})
 *     target: PAGES_READY "PORT KEYS"                               ({@link PagesReady}; CRIU's pages then go to that port, not this connection)
 *     source: the round's other image files                         ({@link ImageStreamCodec}: FILE, DATA, FILE_END, LINK, ROUND_END)
 *     target: ROUND_OK bytes of pages the round brought             (u64)
 *   source: RESTORE "N" (the last round)                            ({@link Restore})
 *   target: RESTORED                                                (empty: restored, still stopped)
 *   source: COMMIT what reached the job while it moved              (JSON of jobs.Job.Held)
 *   target: RUNNING                                                 (empty: it runs on the target)
 *   source: RECORD the migration's record                           (JSON {@link MigrationRecord})
 * </pre>
 */
public final class MigrationFrames {
    private MigrationFrames() {}

    /** A round's name: its number, in plain decimal (it names a directory on the target). */
    private static final Pattern ROUND = Pattern.compile("[1-9][0-9]{0,8}");

    static int roundNumber(String text, String what) throws MalformedFrameException {
        if (!ROUND.matcher(text).matches() || Integer.parseInt(text) > WireLimits.MAX_ROUND) throw new MalformedFrameException("bad " + what + " " + MalformedFrameException.quoted(text));
        return Integer.parseInt(text);
    }

    private static Frame expect(Frame f, MessageType type) throws MalformedFrameException {
        if (f.type() != type) throw new MalformedFrameException("a " + f.type() + " frame where " + type + " belongs");
        return f;
    }

    /** Source to target: start a page server for {@code round}, whose unchanged pages stay in {@code parent} (0: none, the first round). */
    public record Pages(int round, int parent) {
        public Frame frame() {
            return Frame.text(MessageType.PAGES, parent == 0 ? String.valueOf(round) : round + "\0" + parent);
        }

        public static Pages of(Frame f) throws MalformedFrameException {
            String[] parts = expect(f, MessageType.PAGES).field().split("\0", -1);
            if (parts.length > 2) throw new MalformedFrameException("bad round " + f.field());
            return new Pages(roundNumber(parts[0], "round"), parts.length == 2 ? roundNumber(parts[1], "parent round") : 0);
        }
    }

    /**
     * Target to source: its page server for the round listens on {@code port}; {@code keys} are
     * the round's page-stream keys (migrate.PageStreamKeys, as hex), or "plain" where the pool
     * lets pages cross unsealed (migrate.PageLink decides whether the source accepts that).
     */
    public record PagesReady(int port, String keys) {
        private static final Pattern KEYS = Pattern.compile("plain|[0-9a-f]{1,512}");

        public Frame frame() {
            return Frame.text(MessageType.PAGES_READY, port + " " + keys);
        }

        public static PagesReady of(Frame f) throws MalformedFrameException {
            String[] parts = expect(f, MessageType.PAGES_READY).field().split(" ", -1);
            if (parts.length != 2 || !parts[0].matches("[1-9][0-9]{0,4}") || Integer.parseInt(parts[0]) > 0xFFFF || !KEYS.matcher(parts[1]).matches()) {
                throw new MalformedFrameException("bad page-server answer");
            }
            return new PagesReady(Integer.parseInt(parts[0]), parts[1]);
        }
    }

    /** Source to target: restore the job from {@code round}, its last. */
    public record Restore(int round) {
        public Frame frame() {
            return Frame.text(MessageType.RESTORE, String.valueOf(round));
        }

        public static Restore of(Frame f) throws MalformedFrameException {
            return new Restore(roundNumber(expect(f, MessageType.RESTORE).field(), "round"));
        }
    }

    /** Target to source: the round's files checked out; its pages were {@code bytes}. */
    public static Frame roundOk(long pageBytes) {
        return Frame.u64(MessageType.ROUND_OK, pageBytes);
    }

    public static long roundOk(Frame f) throws MalformedFrameException {
        long bytes = expect(f, MessageType.ROUND_OK).u64();
        if (bytes < 0) throw new MalformedFrameException("a round of " + Long.toUnsignedString(bytes) + " bytes of pages");
        return bytes;
    }
}

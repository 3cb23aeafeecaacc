package dev.mosvm.agent.wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The version of what agents say to each other, exchanged first on every agent-to-agent
 * connection (right after the channel's key proof: net.PeerChannel), so two agents of
 * different versions refuse each other with a sentence instead of misreading each other's
 * frames. Nodes of one pool run one appliance image, so one version; a mismatch means an image
 * upgrade reached some nodes and not others.
 *
 * <p>Versions (raise {@link #VERSION} whenever a frame, a payload or a request changes meaning):
 * <ol>
 * <li>Frames ({@link FrameCodec}) of the types 1-16 and 20-34 of {@link MessageType}, the
 *     {@link PeerRequest} ops list, moves, has, start, attach, migrate and migrate-in, the
 *     migration's conversation ({@link MigrationFrames}) and image stream ({@link ImageStreamCodec}).
 *     No version exchange: a connection starts with the client's REQUEST.
 * <li>As 1, with the VERSION frame (17) opening every connection in both directions.
 * <li>As 2, with FENCED (19), home's answer to a stale copy of a job attaching, and the
 *     checkpoint request (a job's checkpoint taken by the node it runs on).
 * <li>As 3, with the settle request (home settling which copy of a job runs after a move whose
 *     commit went unanswered) and its {@link PeerRequest.Settled} answer. A version-3 agent would
 *     refuse the request as unknown; the version exchange refuses the connection instead, with
 *     both versions named.
 * <li>As 4, with the has request answered by a {@link Whereabouts} (the job runs there, is
 *     moving from there to a node, left there for a node, or is absent) instead of true or false:
 *     a home whose job's node lost its link hears where the job went.
 * <li>As 5, with the compact request (the node that sealed a job's checkpoint asks the job's
 *     home to fold and prune its checkpoints there).
 * <li>As 6, with POSITION (35) on a job's stream: where the output that follows begins, so
 *     that a runner whose agent restarted sends again what may not have reached home, and home
 *     passes on only what its caller has not had.
 * <li>As 7, with LOST (18) on a job's stream too, from its runner in place of EXIT: a dump of
 *     the job killed it (criu failed inside it), and home brings it back from its checkpoint or
 *     ends its caller's wait with the text, as for a lost node.
 * </ol>
 * The local stream between {@code mosrun} and its agent has the same frames and no version
 * exchange: a node's tools and agent come from one image.
 */
public final class Protocol {
    private Protocol() {}

    public static final int VERSION = 8;
    /** The last version without a version exchange: a peer that opens with anything else speaks it. */
    static final int UNVERSIONED = 1;

    /** Says this node's version to the peer (nothing, for a node speaking the unversioned protocol). */
    public static void sendVersion(DataOutputStream out, int version) throws IOException {
        if (version > UNVERSIONED) FrameCodec.writeU32(out, MessageType.VERSION, version);
    }

    /**
     * Reads the peer's version and refuses any other than {@code ours}, naming both, whatever the
     * peer sent instead: an unversioned peer's request, an end of stream, a frame this version
     * cannot parse.
     */
    public static void checkPeerVersion(DataInputStream in, String peer, int ours) throws IOException {
        if (ours <= UNVERSIONED) return;
        Frame f;
        try {
            f = FrameCodec.read(in);
        } catch (MalformedFrameException e) {
            throw new ProtocolMismatchException("peer " + peer + " does not speak the mosvm protocol (" + e.getMessage() + "), this node speaks " + ours);
        }
        if (f == null) {
            throw new ProtocolMismatchException("peer " + peer + " closed the connection without saying its protocol version (as mosvm protocol "
                    + UNVERSIONED + " agents do), this node speaks " + ours);
        }
        int theirs = f.type() == MessageType.VERSION ? f.u32() : UNVERSIONED;
        if (theirs != ours) {
            throw new ProtocolMismatchException("peer " + peer + " speaks mosvm protocol " + Integer.toUnsignedString(theirs) + ", this node speaks " + ours);
        }
    }
}

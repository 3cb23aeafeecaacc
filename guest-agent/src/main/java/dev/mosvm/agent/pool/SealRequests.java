package dev.mosvm.agent.pool;

import dev.mosvm.agent.checkpoint.CheckpointManifest;
import dev.mosvm.agent.checkpoint.CheckpointStore;
import dev.mosvm.agent.checkpoint.Checkpointer;
import dev.mosvm.agent.guard.Deadline;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The {@code seal} request, both ways: the node a job runs on has the job's home seal each
 * checkpoint it wrote into home's store ({@link #seal}), and home serves such requests from
 * its peers ({@link #serve}).
 *
 * <p>Sealing reads every file of a checkpoint back and sums it. At home that is home's own disk
 * and CPU; on the job's node it was every byte read back over NFS and hashed on the job's own
 * vCPU, right after the freeze, while the job was meant to run on. A home that does not know
 * the request (an older agent) answers so, and the checkpoint is sealed over NFS as before.
 */
public final class SealRequests implements Checkpointer.Sealer {
    private static final Logger LOG = Logger.getLogger(SealRequests.class.getName());
    /** How long home may take to answer: a minute, and half a second more for each MiB of pages it reads and sums (under emulation). */
    static final long BASE_MILLIS = 60_000;
    static final long MILLIS_PER_MIB = 500;
    /** What an agent that does not know a request answers (PeerServer): the asker then seals over NFS. */
    static final String UNKNOWN = "bad request: unknown request";
    /** What a home serving all the peer requests it may answers at once (PeerServer): it did nothing. */
    static final String BUSY = "busy: ";

    private final String self;
    private final PeerDirectory peers;
    private final Supplier<CheckpointStore> ownStore;
    private final Function<String, String> runnerOf;
    private final byte[] key;

    /**
     * @param ownStore this node's own checkpoint store: where it seals its own jobs' checkpoints when asked
     * @param runnerOf the node this home knows one of its jobs runs on (JobTable.runnerOf), or null: only that node's seals are served
     * @param key      what manifests are sealed with: a sealed manifest from home is checked against it
     */
    public SealRequests(String self, PeerDirectory peers, Supplier<CheckpointStore> ownStore, Function<String, String> runnerOf, byte[] key) {
        this.self = self;
        this.peers = peers;
        this.ownStore = ownStore;
        this.runnerOf = runnerOf;
        this.key = key.clone();
    }

    /** How long the asker waits for home to seal a checkpoint of {@code pagesBytes} of pages. */
    static long millisFor(long pagesBytes) {
        return BASE_MILLIS + Math.max(0, pagesBytes >> 20) * MILLIS_PER_MIB;
    }

    @Override
    public CheckpointManifest seal(CheckpointStore store, Path dir, CheckpointManifest unsigned) throws IOException {
        String home = unsigned.spec().home();
        if (home.equals(self)) return store.seal(dir, unsigned);
        long millis = millisFor(unsigned.pagesBytes());
        try (PeerChannel ch = peers.connect(home); Deadline deadline = Deadline.closing(ch::close, millis)) {
            PeerRequest.write(ch.out, PeerRequest.seal(unsigned.job(), Json.MAPPER.readTree(unsigned.toJson())));
            Frame f;
            try {
                f = FrameCodec.read(ch.in);
                if (f == null) throw new IOException("home " + home + " closed the connection without an answer");
            } catch (IOException e) {
                deadline.check("home " + home + "'s seal");
                // home may be sealing it still, or have sealed it
                throw new Checkpointer.SealUnanswered("home " + home + " did not answer its seal (" + e.getMessage() + ")");
            }
            if (f.type() == MessageType.ERROR && (f.text().startsWith(UNKNOWN) || f.text().startsWith(BUSY))) {
                LOG.info("home " + home + " does not seal " + unsigned.name() + " (" + f.text() + "): it is sealed from here, over NFS");
                return store.seal(dir, unsigned);
            }
            if (f.type() == MessageType.ERROR) throw new IOException("home " + home + " did not seal it: " + oneLine(f.text()));
            if (f.type() != MessageType.REPLY) throw new IOException("home " + home + " answered with a " + f.type() + " frame");
            return checked(CheckpointManifest.parse(f.payload(), unsigned.name()), unsigned, home);
        }
    }

    /** A peer's words as one line of a log or an error, at most 300 characters. */
    static String oneLine(String s) {
        String line = s.replaceAll("\\s+", " ").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    /** The manifest home sealed, if it is the checkpoint asked for and sealed with this pool's key. */
    private CheckpointManifest checked(CheckpointManifest sealed, CheckpointManifest asked, String home) throws IOException {
        if (!sealed.signedWith(key)) throw new IOException("home " + home + " answered with a manifest not sealed by this pool");
        if (!sealed.name().equals(asked.name()) || sealed.parent() != asked.parent() || sealed.outBytes() != asked.outBytes()
                || sealed.errBytes() != asked.errBytes() || !sealed.node().equals(asked.node())) {
            throw new IOException("home " + home + " answered with the manifest of another checkpoint (" + sealed.name() + ")");
        }
        return sealed;
    }

    /**
     * Home's side: seals, in this node's own store, the checkpoint a peer took of one of this
     * node's jobs and wrote here, and answers with the sealed manifest (REPLY), or says why not
     * (ERROR). Only the node that took a checkpoint, which home knows runs the job, may have it sealed.
     */
    public void serve(PeerRequest req, PeerChannel link) throws IOException {
        CheckpointManifest sealed;
        try {
            CheckpointManifest unsigned = CheckpointManifest.parseUnsigned(Json.MAPPER.writeValueAsBytes(req.manifest()),
                    "the checkpoint of job " + req.job() + " " + link.peer() + " asks to seal");
            if (!unsigned.job().equals(req.job())) throw new IOException("a seal request for job " + req.job() + " with the manifest of job " + unsigned.job());
            if (!unsigned.node().equals(link.peer())) {
                throw new IOException(link.peer() + " asks to seal " + unsigned.name() + ", which " + unsigned.node() + " took");
            }
            String runner = runnerOf.apply(unsigned.job());
            if (!link.peer().equals(runner)) {
                throw new IOException(link.peer() + " asks to seal " + unsigned.name() + ", but the job runs on "
                        + (runner == null ? "no node this home knows" : runner));
            }
            CheckpointStore store = ownStore.get();
            long t0 = System.nanoTime();
            sealed = store.seal(store.dirOf(unsigned.job(), unsigned.number()), unsigned);
            LOG.fine(unsigned.name() + " sealed here for " + link.peer() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (IOException | RuntimeException e) {
            LOG.info("refused to seal a checkpoint of " + req.job() + " for " + link.peer() + ": " + e.getMessage());
            FrameCodec.writeText(link.out, MessageType.ERROR, String.valueOf(e.getMessage()));
            return;
        }
        FrameCodec.write(link.out, new Frame(MessageType.REPLY, sealed.toJson()));
    }
}

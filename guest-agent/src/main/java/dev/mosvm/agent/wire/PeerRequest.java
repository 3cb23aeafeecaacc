package dev.mosvm.agent.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.api.JobView;
import dev.mosvm.api.MigrationMode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The first frame on a peer connection (after the version exchange), a {@link MessageType#REQUEST}
 * with this record as JSON: what one agent asks of another.
 * <ul>
 * <li>{@code list}: the jobs running there (answer: LIST of job views);
 * <li>{@code moves}: the latest migrations that node sent jobs on, for mon (answer: LIST of moves);
 * <li>{@code has}: whether job {@code job} runs there, or where it went (answer: REPLY with its {@link Whereabouts});
 * <li>{@code start}: run {@code spec} there for its home (mosrun -r); the connection then
 *     carries the job's output to home and the caller's signals and input back;
 * <li>{@code attach}: a job that arrived by migration reconnects to its home the same way;
 * <li>{@code migrate}: move job {@code job}, which runs there, to {@code node}, on behalf of
 *     user {@code uid} (answer: REPLY with the migration's record, or ERROR);
 * <li>{@code migrate-in}: the source of a migration offers the target the job ({@link MigrationFrames});
 * <li>{@code checkpoint}: take a checkpoint of job {@code job}, which runs there, on behalf of
 *     user {@code uid} (answer: REPLY with the checkpoint's record, or ERROR);
 * <li>{@code settle}: to the job's home, from the source of a move whose commit went unanswered:
 *     which copy of job {@code spec} runs, the source's or node {@code node}'s (answer: REPLY
 *     with the {@link Settled} verdict, or ERROR);
 * <li>{@code compact}: to the job's home, from the node that just sealed a checkpoint of job
 *     {@code job}: fold and prune its checkpoints down to the last {@code keep}, at home, with
 *     home's CPU and disk (answer: REPLY true at once, the fold runs after; or ERROR);
 * <li>{@code seal}: to the job's home, from the node that just wrote checkpoint {@code manifest}
 *     of job {@code job} into home's store (its unsigned manifest): sum its files and seal it
 *     there, with home's disk and CPU rather than the job's node's over NFS (answer: REPLY with
 *     the sealed manifest, or ERROR). Protocol 7 agents that do not know it answer ERROR, and the
 *     asker seals over NFS as before.
 * <li>{@code time}: the answering node's wall clock, for a member keeping the pool's time (answer:
 *     REPLY with a {@link TimeReply}). Agents older than it answer ERROR, and the asker keeps its clock.
 * <li>{@code grant}: from the pool's founder to a member it names an admitter: {@code sealed} is
 *     the grant (base64), sealed under the member's node key (answer: REPLY, or ERROR);
 * <li>{@code withdraw}: from the founder to an admitter: forget the grant (answer: REPLY, or ERROR);
 * <li>{@code revoke}: from a member that removed another: {@code sealed} is the authority-signed
 *     removal notice (base64), which the answering node applies (answer: REPLY, or ERROR).
 * </ul>
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PeerRequest(Op op, String job, String node, Integer uid, JobSpec spec, Map<String, String> env,
                          String cwd, MigrationOffer offer, MigrationMode mode, Integer keep, JsonNode manifest, String sealed) {
    /** What is asked; on the wire by name. Append only, as the message types. */
    public enum Op {
        LIST("list"), MOVES("moves"), HAS("has"), START("start"), ATTACH("attach"), MIGRATE("migrate"), MIGRATE_IN("migrate-in"),
        CHECKPOINT("checkpoint"), SETTLE("settle"), COMPACT("compact"), SEAL("seal"), TIME("time"), GRANT("grant"), WITHDRAW("withdraw"),
        REVOKE("revoke");

        private final String wire;

        Op(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        static Op of(String wire) {
            for (Op o : values()) if (o.wire.equals(wire)) return o;
            return null;
        }
    }

    /**
     * What a migration's source tells its target before any image is sent.
     *
     * @param eagerRestore copy the job's memory in before resuming it (else restore lazily from the images)
     * @param reason       why the job moves ("moved", "balanced", "ushered"): the target checks balancer moves against its own load
     * @param rateAtSource reference-core seconds per second the job gets where it is (a balanced move must beat it)
     * @param rssKb        the job's resident memory
     * @param tasks        the job's processes and threads (its cgroup's pids.current); 0 from a source that does not say
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record MigrationOffer(String from, String imageVersion, String cpuinfoBase64, List<String> stdio, boolean stdinClosed,
                                 List<String> paths, boolean eagerRestore, String reason, double rateAtSource, long rssKb, long tasks) {}

    /**
     * Home's answer to a settle request: {@link #TARGET_HAS_IT} (the target's copy reached home:
     * it is the job), or {@link #SOURCE_RESUMES} (home fenced the target's copy: the source's is
     * the job, from now on of epoch {@code epoch}).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Settled(String verdict, int epoch) {
        public static final String TARGET_HAS_IT = "target-has-it";
        public static final String SOURCE_RESUMES = "source-resumes";

        public Frame frame() {
            return Frame.json(MessageType.REPLY, this);
        }

        /** The verdict in {@code f}, a REPLY; anything else, or a verdict this version does not know, is malformed. */
        public static Settled of(Frame f) throws MalformedFrameException {
            if (f.type() != MessageType.REPLY) throw new MalformedFrameException("a " + f.type() + " frame where a settlement belongs");
            Settled s = WireJson.read(WireJson.tree(f.payload()), Settled.class);
            if (!TARGET_HAS_IT.equals(s.verdict) && !SOURCE_RESUMES.equals(s.verdict)) {
                throw new MalformedFrameException("a settlement with verdict " + MalformedFrameException.quoted(String.valueOf(s.verdict)));
            }
            if (s.epoch < 0) throw new MalformedFrameException("a settlement with epoch " + s.epoch);
            return s;
        }
    }

    /**
     * The answer to a time request: the answering node's wall clock, in milliseconds since the
     * epoch, read just before the reply was written.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TimeReply(long millis) {
        /** Before this (2020-01-01) no clock is a pool's time, but an unset one or a forged value. */
        public static final long EARLIEST_MILLIS = 1_577_836_800_000L;
        /** After this (2100-01-01) neither. */
        public static final long LATEST_MILLIS = 4_102_444_800_000L;

        public Frame frame() {
            return Frame.json(MessageType.REPLY, this);
        }

        /** The time in {@code f}, a REPLY; anything else, or a time outside 2020 to 2100, is malformed. */
        public static TimeReply of(Frame f) throws MalformedFrameException {
            if (f.type() != MessageType.REPLY) throw new MalformedFrameException("a " + f.type() + " frame where a time belongs");
            JsonNode tree = WireJson.tree(f.payload());
            JsonNode millis = tree.get("millis");
            if (millis == null || !millis.isIntegralNumber() || !millis.canConvertToLong()) throw new MalformedFrameException("a time reply without its millis");
            TimeReply t = new TimeReply(millis.longValue());
            if (t.millis < EARLIEST_MILLIS || t.millis > LATEST_MILLIS) throw new MalformedFrameException("a time reply of " + t.millis + " ms since the epoch");
            return t;
        }
    }

    /** A job id names files and cgroups on the node it runs on: one safe path component. */
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (WireLimits.MAX_JOB_ID_CHARS - 1) + "}");

    /** A node's name as the pool knows it (gossip, checkpoint manifests): one safe path component. */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (WireLimits.MAX_NODE_ID_BYTES - 1) + "}");

    /** Whether {@code node} has a node name's shape. */
    public static boolean isNodeName(String node) {
        return node != null && NODE_NAME.matcher(node).matches();
    }

    /** Whether {@code id} has a job id's shape (wherever a job id names a file or directory, it is checked with this). */
    public static boolean isJobId(String id) {
        return id != null && JOB_ID.matcher(id).matches();
    }

    public static PeerRequest moves() {
        return new PeerRequest(Op.MOVES, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The payload of the LIST frame that answers a list request: every job on the answering node. */
    public static final TypeReference<List<JobView>> JOB_LIST = new TypeReference<>() {};

    public static PeerRequest list() {
        return new PeerRequest(Op.LIST, null, null, null, null, null, null, null, null, null, null, null);
    }

    public static PeerRequest has(String job) {
        return new PeerRequest(Op.HAS, job, null, null, null, null, null, null, null, null, null, null);
    }

    public static PeerRequest start(JobSpec spec, Map<String, String> env, String cwd) {
        return new PeerRequest(Op.START, spec.id(), null, null, spec, env, cwd, null, null, null, null, null);
    }

    public static PeerRequest attach(JobSpec spec) {
        return new PeerRequest(Op.ATTACH, spec.id(), null, null, spec, null, null, null, null, null, null, null);
    }

    public static PeerRequest migrate(String job, String node, int uid, MigrationMode mode) {
        return new PeerRequest(Op.MIGRATE, job, node, uid, null, null, null, null, mode, null, null, null);
    }

    public static PeerRequest migrateIn(JobSpec spec, MigrationOffer offer) {
        return new PeerRequest(Op.MIGRATE_IN, spec.id(), null, null, spec, null, null, offer, null, null, null, null);
    }

    public static PeerRequest checkpoint(String job, int uid) {
        return new PeerRequest(Op.CHECKPOINT, job, null, uid, null, null, null, null, null, null, null, null);
    }

    /**
     * Asks the home of job {@code spec} (the spec the move's source sent its target) which copy
     * of it runs after the move to {@code target}.
     */
    public static PeerRequest settle(JobSpec spec, String target) {
        return new PeerRequest(Op.SETTLE, spec.id(), target, null, spec, null, null, null, null, null, null, null);
    }

    /**
     * Asks the home of job {@code job} to keep its last {@code keep} checkpoints, folding at home
     * ({@code keep} is the job's {@code mosrun -N}, 1 to {@link WireLimits#MAX_KEEP_CHECKPOINTS}).
     */
    public static PeerRequest compact(String job, int keep) {
        return new PeerRequest(Op.COMPACT, job, null, null, null, null, null, null, null, keep, null, null);
    }

    /**
     * Asks the home of job {@code job} to seal its checkpoint whose unsigned manifest (format
     * {@code CheckpointManifest.FORMAT}) is {@code manifest}.
     */
    public static PeerRequest seal(String job, JsonNode manifest) {
        return new PeerRequest(Op.SEAL, job, null, null, null, null, null, null, null, null, manifest, null);
    }

    public static PeerRequest time() {
        return new PeerRequest(Op.TIME, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The most a {@code sealed} field carries, in base64 characters (a grant is about 300). */
    public static final int MAX_SEALED_CHARS = 4096;

    public static PeerRequest grant(String sealedGrant) {
        return new PeerRequest(Op.GRANT, null, null, null, null, null, null, null, null, null, null, sealedGrant);
    }

    public static PeerRequest withdraw() {
        return new PeerRequest(Op.WITHDRAW, null, null, null, null, null, null, null, null, null, null, null);
    }

    public static PeerRequest revoke(String notice) {
        return new PeerRequest(Op.REVOKE, null, null, null, null, null, null, null, null, null, null, notice);
    }

    /** The {@code sealed} field's bytes: base64 within {@link #MAX_SEALED_CHARS}, checked by {@link #decode}. */
    public byte[] sealedBytes() {
        return java.util.Base64.getDecoder().decode(sealed);
    }

    public Frame frame() {
        return Frame.json(MessageType.REQUEST, this);
    }

    public static void write(DataOutputStream out, PeerRequest r) throws IOException {
        FrameCodec.write(out, r.frame());
    }

    /** The request opening a connection; an end of stream before it is an IOException, anything else than a valid request malformed. */
    public static PeerRequest read(DataInputStream in) throws IOException {
        Frame f = FrameCodec.read(in);
        if (f == null) throw new IOException("no request");
        return decode(f);
    }

    /** The request in {@code f}, with everything its op needs. */
    public static PeerRequest decode(Frame f) throws MalformedFrameException {
        if (f.type() != MessageType.REQUEST) throw new MalformedFrameException("a " + f.type() + " frame where a request belongs");
        JsonNode tree = WireJson.tree(f.payload());
        JsonNode op = tree.get("op");
        if (op == null || !op.isTextual()) throw new MalformedFrameException("a request without an op");
        if (Op.of(op.textValue()) == null) throw new MalformedFrameException("unknown request " + MalformedFrameException.quoted(op.textValue()));
        PeerRequest r = WireJson.read(tree, PeerRequest.class);
        switch (r.op) {
            case LIST, MOVES, TIME, WITHDRAW -> {}
            case GRANT, REVOKE -> {
                if (r.sealed == null || r.sealed.isEmpty()) throw new MalformedFrameException(r.op.wire + " without its sealed part");
                if (r.sealed.length() > MAX_SEALED_CHARS) throw new MalformedFrameException(r.op.wire + " with a sealed part over " + MAX_SEALED_CHARS + " characters");
                try {
                    java.util.Base64.getDecoder().decode(r.sealed);
                } catch (IllegalArgumentException e) {
                    throw new MalformedFrameException(r.op.wire + " with a sealed part that is not base64");
                }
            }
            case HAS -> r.needJob();
            case MIGRATE -> {
                r.needJob();
                if (r.node == null) throw new MalformedFrameException("migrate without a node");
            }
            case START -> {
                r.needSpec();
                if (r.cwd != null && !isAbsolutePath(r.cwd)) throw new MalformedFrameException("start of job " + r.spec.id() + " in a directory that is no absolute path");
            }
            case ATTACH -> r.needSpec();
            case MIGRATE_IN -> {
                r.needSpec();
                if (r.offer == null) throw new MalformedFrameException("migrate-in without an offer");
                if (!isNodeName(r.offer.from())) throw new MalformedFrameException("migrate-in of job " + r.spec.id() + " from a bad node name");
                for (String path : r.offer.paths() == null ? List.<String>of() : r.offer.paths()) {
                    if (!isAbsolutePath(path)) throw new MalformedFrameException("migrate-in of job " + r.spec.id() + " using a file that is no absolute path");
                }
            }
            case CHECKPOINT -> {
                r.needJob();
                if (r.uid == null) throw new MalformedFrameException("checkpoint without a uid"); // whose rights it is taken with
            }
            case SETTLE -> {
                r.needSpec();
                if (r.node == null) throw new MalformedFrameException("settle without a node");
                if (!isNodeName(r.node)) throw new MalformedFrameException("settle with a bad node name");
                if (r.spec.epoch() < 0) throw new MalformedFrameException("settle of job " + r.spec.id() + " at epoch " + r.spec.epoch());
            }
            case COMPACT -> {
                r.needJob();
                if (r.keep == null) throw new MalformedFrameException("compact without a count to keep");
                if (r.keep < 1 || r.keep > WireLimits.MAX_KEEP_CHECKPOINTS) {
                    throw new MalformedFrameException("compact keeping " + r.keep + " checkpoints (1 to " + WireLimits.MAX_KEEP_CHECKPOINTS + ")");
                }
            }
            case SEAL -> {
                r.needJob();
                if (r.manifest == null || !r.manifest.isObject()) throw new MalformedFrameException("seal without a manifest"); // its fields: CheckpointManifest
            }
        }
        return r;
    }

    private void needJob() throws MalformedFrameException {
        jobId(job);
    }

    private void needSpec() throws MalformedFrameException {
        if (spec == null) throw new MalformedFrameException(op.wire + " without a job spec");
        jobId(spec.id());
        if (spec.home() == null) throw new MalformedFrameException(op.wire + " of job " + spec.id() + " without its home");
        // the home names directories (/pool/HOME, its tree /pool/.homes/HOME) and a job's id begins with it
        if (!isNodeName(spec.home()) || !spec.id().startsWith(spec.home() + ".")) {
            throw new MalformedFrameException(op.wire + " of job " + spec.id() + " with a home that is not its own");
        }
        if (spec.uid() < 0 || spec.gid() < 0) throw new MalformedFrameException(op.wire + " of job " + spec.id() + " for a negative uid or gid");
    }

    /** The longest path a peer may name (the kernel's PATH_MAX). */
    public static final int MAX_PATH_BYTES = 4096;

    /** Whether {@code path} is an absolute path the kernel could take: no NUL, at most {@link #MAX_PATH_BYTES}. */
    public static boolean isAbsolutePath(String path) {
        return path != null && path.startsWith("/") && path.indexOf('\0') < 0 && path.length() <= MAX_PATH_BYTES
                && path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_PATH_BYTES;
    }

    private void jobId(String id) throws MalformedFrameException {
        if (id == null) throw new MalformedFrameException(op.wire + " without a job");
        if (!isJobId(id)) throw new MalformedFrameException(op.wire + " of a job with a bad id");
    }
}

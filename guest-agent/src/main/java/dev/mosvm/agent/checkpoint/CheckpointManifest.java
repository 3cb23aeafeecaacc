package dev.mosvm.agent.checkpoint;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.WireLimits;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a sealed checkpoint is, in its directory's {@code manifest.json}: whose job and which
 * checkpoint, the checkpoint it builds on ({@code parent}, 0 for a full one), the job's spec
 * (home, owner, command travel in it), when and where it was taken, the appliance image that
 * took it, the job's standard pipes and how much output it had written when it was frozen (so
 * a restart does not print that output twice), the pages it holds, how long the job was frozen,
 * every image file with its size and SHA-256, and a MAC.
 *
 * <p>The manifest is read from a filesystem every pool node can write, so {@link #parse} treats
 * it as untrusted: every field is checked, and a manifest of a newer format is refused. The MAC
 * (HMAC-SHA256 with the store's key, over the canonical JSON of every other field: keys sorted,
 * no spaces) shows this pool sealed it and nobody changed it since; the sums then cover the
 * image files.
 *
 * @param format       {@link #FORMAT}; a reader refuses a newer one
 * @param parent       the number of the checkpoint this one adds to (CRIU's {@code parent} link), 0 for a full one
 * @param takenAt      ISO-8601 instant it was sealed
 * @param node         the node that took it (the one the job ran on)
 * @param imageVersion the appliance image of that node (CRIU's images are read by the same CRIU)
 * @param stdio        the pipes behind the job's descriptors 0 to 2 ("pipe:[123]"), null where not a pipe
 * @param outBytes     bytes of standard output the job had written when it was frozen
 * @param errBytes     bytes of standard error the job had written when it was frozen
 * @param pagesBytes   memory pages this checkpoint holds (an incremental one: only those dirtied since its parent)
 * @param files        every file of the checkpoint's directory but the manifest and the parent link
 * @param mac          lower-case hex HMAC-SHA256 over {@link #canonical()}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CheckpointManifest(int format, String job, int number, int parent, JobSpec spec, String takenAt, String node,
                                 String imageVersion, List<String> stdio, boolean stdinClosed, long outBytes, long errBytes,
                                 long pagesBytes, long frozenMillis, Map<String, FileSum> files, String mac) {
    /** The manifest format this agent writes and the newest it reads. */
    public static final int FORMAT = 1;
    /** A manifest file larger than this is refused before it is read (tens of thousands of image files fit). */
    public static final int MAX_BYTES = 4 << 20;
    /** The highest checkpoint number: directory names stay short decimal numbers. */
    public static final int MAX_NUMBER = 999_999_999;
    /** The most image files one checkpoint may list. */
    public static final int MAX_FILES = 65_536;

    /** One image file: its size in bytes and lower-case hex SHA-256. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileSum(long size, String sha256) {}

    /** An image file's name: one path component of a file system's length, never a hidden or relative one. */
    static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0," + (WireLimits.MAX_IMAGE_NAME_BYTES - 1) + "}");
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (WireLimits.MAX_NODE_ID_BYTES - 1) + "}");
    private static final Pattern PIPE = Pattern.compile("pipe:\\[[0-9]{1,20}\\]");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final HexFormat HEX = HexFormat.of();

    /** The project's mapper, reading no more than a manifest's worth. */
    private static final ObjectMapper MAPPER = Json.MAPPER.copyWith(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(WireLimits.MAX_JSON_NESTING)
                    .maxDocumentLength(MAX_BYTES)
                    .maxStringLength(MAX_BYTES)
                    .build())
            .build());

    public CheckpointManifest {
        stdio = stdio == null ? null : Collections.unmodifiableList(new ArrayList<>(stdio)); // nulls stand for "not a pipe"
        files = files == null ? null : Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /**
     * What the taker knows of checkpoint {@code number} of {@code spec}'s job, before the store
     * seals it (which adds the time, the files' sums and the MAC).
     */
    public static CheckpointManifest unsigned(JobSpec spec, int number, int parent, String node, String imageVersion, List<String> stdio,
                                              boolean stdinClosed, long outBytes, long errBytes, long pagesBytes, long frozenMillis) {
        return new CheckpointManifest(FORMAT, spec.id(), number, parent, spec, null, node, imageVersion, stdio, stdinClosed, outBytes, errBytes,
                pagesBytes, frozenMillis, null, null);
    }

    /** This manifest sealed at {@code at} with the image files {@code files}, signed with {@code key}. */
    CheckpointManifest sealed(Instant at, Map<String, FileSum> files, byte[] key) {
        CheckpointManifest m = new CheckpointManifest(FORMAT, job, number, parent, spec, at.toString(), node, imageVersion, stdio, stdinClosed,
                outBytes, errBytes, pagesBytes, frozenMillis, files, null);
        return m.withMac(m.macWith(key));
    }

    /**
     * This checkpoint once its parent is folded into it: full, holding {@code pagesBytes} of
     * pages in {@code files}; when it was taken and how long its job was frozen stay the same.
     */
    CheckpointManifest folded(long pagesBytes, Map<String, FileSum> files, byte[] key) {
        CheckpointManifest m = new CheckpointManifest(FORMAT, job, number, 0, spec, takenAt, node, imageVersion, stdio, stdinClosed,
                outBytes, errBytes, pagesBytes, frozenMillis, files, null);
        return m.withMac(m.macWith(key));
    }

    CheckpointManifest withMac(String mac) {
        return new CheckpointManifest(format, job, number, parent, spec, takenAt, node, imageVersion, stdio, stdinClosed, outBytes, errBytes,
                pagesBytes, frozenMillis, files, mac);
    }

    /** How users name it: "checkpoint JOB/N". */
    public String name() {
        return nameOf(job, number);
    }

    static String nameOf(String job, int number) {
        return "checkpoint " + job + "/" + number;
    }

    /** The bytes of its image files (without its parents'). */
    public long bytes() {
        long sum = 0;
        for (FileSum f : files.values()) sum += f.size;
        return sum;
    }

    /** As stored: indented, so an administrator can read it. */
    public byte[] toJson() {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a manifest not writable as JSON", e); // this package's own record
        }
    }

    /** What the MAC covers: every field but the MAC, as JSON with every object's keys sorted and no spaces. */
    byte[] canonical() {
        ObjectNode tree = MAPPER.valueToTree(this);
        tree.remove("mac");
        try {
            return MAPPER.writeValueAsBytes(sorted(tree));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a manifest not writable as JSON", e);
        }
    }

    private static JsonNode sorted(JsonNode n) {
        if (n.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> i = n.fields(); i.hasNext(); ) {
                Map.Entry<String, JsonNode> e = i.next();
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode o = MAPPER.createObjectNode();
            o.setAll(fields);
            return o;
        }
        if (n.isArray()) {
            var a = MAPPER.createArrayNode();
            for (JsonNode child : n) a.add(sorted(child));
            return a;
        }
        return n;
    }

    String macWith(byte[] key) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return HEX.formatHex(m.doFinal(canonical()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Whether its MAC is the one {@code key} gives (compared in constant time). */
    public boolean signedWith(byte[] key) {
        return mac != null && MessageDigest.isEqual(mac.getBytes(StandardCharsets.US_ASCII), macWith(key).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The sealed manifest in {@code json}, every field checked (not its MAC: that needs the key).
     *
     * @param subject how messages name it ("checkpoint ca.17/4")
     * @throws CheckpointException with one line: damaged, or of a newer format
     */
    public static CheckpointManifest parse(byte[] json, String subject) throws CheckpointException {
        return parse(json, subject, true);
    }

    /**
     * The unsigned manifest in {@code json} (a peer's seal request: what the taker knows), every
     * field of it checked; the store's part (time, files, MAC), if any, is dropped: sealing
     * writes its own.
     */
    public static CheckpointManifest parseUnsigned(byte[] json, String subject) throws CheckpointException {
        CheckpointManifest m = parse(json, subject, false);
        return new CheckpointManifest(m.format, m.job, m.number, m.parent, m.spec, null, m.node, m.imageVersion, m.stdio, m.stdinClosed,
                m.outBytes, m.errBytes, m.pagesBytes, m.frozenMillis, null, null);
    }

    private static CheckpointManifest parse(byte[] json, String subject, boolean sealed) throws CheckpointException {
        if (json.length > MAX_BYTES) throw damaged(subject, "is larger than " + MAX_BYTES + " bytes");
        JsonNode tree;
        CheckpointManifest m;
        try {
            tree = MAPPER.readTree(json);
            if (tree == null || !tree.isObject()) throw damaged(subject, "is not a JSON object");
            JsonNode format = tree.get("format");
            if (format == null || !format.canConvertToExactIntegral() || !format.canConvertToInt() || format.intValue() < 1) {
                throw damaged(subject, "has no format version");
            }
            if (format.intValue() > FORMAT) {
                throw new CheckpointException(subject, "was taken by a newer mosvm (manifest format " + format.intValue() + ", this node reads "
                        + FORMAT + "): restore it on an updated node");
            }
            m = MAPPER.treeToValue(tree, CheckpointManifest.class);
        } catch (JsonProcessingException e) {
            throw damaged(subject, "is not readable JSON (" + oneLine(e.getOriginalMessage()) + ")");
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof CheckpointException c) throw c;
            throw damaged(subject, "is not readable JSON (" + oneLine(e.getMessage()) + ")");
        }
        String bad = m.problem(sealed);
        if (bad != null) throw damaged(subject, bad);
        return m;
    }

    private static CheckpointException damaged(String subject, String what) {
        return new CheckpointException(subject, "is damaged: its manifest " + what);
    }

    private static String oneLine(String s) {
        if (s == null) return "no detail";
        String line = s.replaceAll("\\s+", " ").strip();
        return line.length() > 120 ? line.substring(0, 120) + "..." : line;
    }

    /**
     * What is wrong with the fields, as the end of "its manifest ...", or null when nothing is.
     *
     * @param sealed whether the store's part (time, files, MAC) must be there too
     */
    String problem(boolean sealed) {
        if (format != FORMAT) return "has format " + format + ", not " + FORMAT;
        if (!PeerRequest.isJobId(job)) return "has no valid job id";
        if (number < 1 || number > MAX_NUMBER) return "has number " + number + ", outside 1 to " + MAX_NUMBER;
        if (parent < 0 || parent >= number) return "has parent " + parent + ", which is not below its number " + number;
        if (spec == null) return "has no job spec";
        if (!job.equals(spec.id())) return "is for job " + job + " but holds the spec of another";
        if (!validNode(spec.home())) return "has no valid home node";
        if (spec.uid() < 0 || spec.gid() < 0) return "has a negative uid or gid";
        if (spec.argv().isEmpty()) return "has an empty command";
        if (!Double.isFinite(spec.workBefore()) || spec.workBefore() < 0) return "has a bad amount of work done";
        if (!validNode(node)) return "has no valid node that took it";
        if (imageVersion == null || imageVersion.isEmpty() || imageVersion.length() > WireLimits.MAX_FIELD_BYTES) return "has no valid image version";
        if (stdio == null || stdio.size() > 3) return "has no valid standard pipes";
        for (String pipe : stdio) if (pipe != null && !PIPE.matcher(pipe).matches()) return "has a standard pipe that is not a pipe id";
        if (outBytes < 0 || errBytes < 0 || pagesBytes < 0 || frozenMillis < 0) return "has a negative count";
        if (!sealed) return null;
        if (takenAt == null) return "has no time it was taken";
        try {
            Instant.parse(takenAt);
        } catch (DateTimeParseException e) {
            return "has a time that is not an ISO instant";
        }
        if (files == null) return "lists no files";
        if (files.size() > MAX_FILES) return "lists more than " + MAX_FILES + " files";
        for (Map.Entry<String, FileSum> f : files.entrySet()) {
            String name = f.getKey();
            if (!FILE_NAME.matcher(name).matches() || name.equals(CheckpointStore.MANIFEST) || name.equals(CheckpointStore.PARENT_LINK)) {
                return "lists a file with a bad name";
            }
            FileSum sum = f.getValue();
            if (sum == null || sum.size < 0 || sum.sha256 == null || !SHA256.matcher(sum.sha256).matches()) return "has a bad size or sum for " + name;
        }
        if (mac == null || !SHA256.matcher(mac).matches()) return "has no valid MAC";
        return null;
    }

    private static boolean validNode(String node) {
        return node != null && NODE_ID.matcher(node).matches();
    }
}

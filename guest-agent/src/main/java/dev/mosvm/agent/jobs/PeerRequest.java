package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrationMode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The first frame on a peer connection: what one agent asks of another.
 * <ul>
 * <li>{@code list}: the jobs running there;
 * <li>{@code start}: run {@code spec} there for its home (mosrun -r); the connection then
 *     carries the job's output to home and the caller's signals and input back;
 * <li>{@code attach}: a job that arrived by migration reconnects to its home the same way;
 * <li>{@code migrate}: move job {@code job}, which runs there, to {@code node}, on behalf of
 *     user {@code uid};
 * <li>{@code migrate-in}: the source of a migration offers the target the job (see
 *     dev.mosvm.agent.migrate).
 * </ul>
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PeerRequest(String op, String job, String node, Integer uid, JobSpec spec, Map<String, String> env,
                          String cwd, MigrationOffer offer, MigrationMode mode) {
    public static final int KIND = 11;

    /**
     * What a migration's source tells its target before any image is sent.
     *
     * @param eagerRestore copy the job's memory in before resuming it (else restore lazily from the images)
     * @param reason       why the job moves ("moved", "balanced", "ushered"): the target checks balancer moves against its own load
     * @param rateAtSource reference-core seconds per second the job gets where it is (a balanced move must beat it)
     * @param rssKb        the job's resident memory
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record MigrationOffer(String from, String imageVersion, String cpuinfoBase64, List<String> stdio, boolean stdinClosed,
                                 List<String> paths, boolean eagerRestore, String reason, double rateAtSource, long rssKb) {}

    /** {@code moves}: the latest migrations this node sent jobs on (for mon). */
    public static PeerRequest moves() {
        return new PeerRequest("moves", null, null, null, null, null, null, null, null);
    }

    public static PeerRequest list() {
        return new PeerRequest("list", null, null, null, null, null, null, null, null);
    }

    public static PeerRequest start(JobSpec spec, Map<String, String> env, String cwd) {
        return new PeerRequest("start", spec.id(), null, null, spec, env, cwd, null, null);
    }

    public static PeerRequest attach(JobSpec spec) {
        return new PeerRequest("attach", spec.id(), null, null, spec, null, null, null, null);
    }

    public static PeerRequest migrate(String job, String node, int uid, MigrationMode mode) {
        return new PeerRequest("migrate", job, node, uid, null, null, null, null, mode);
    }

    public static PeerRequest migrateIn(JobSpec spec, MigrationOffer offer) {
        return new PeerRequest("migrate-in", spec.id(), null, null, spec, null, null, offer, null);
    }

    public static void write(DataOutputStream out, PeerRequest r) throws IOException {
        JobFrames.write(out, KIND, Json.MAPPER.writeValueAsBytes(r));
    }

    public static PeerRequest read(DataInputStream in) throws IOException {
        JobFrames.Frame f = JobFrames.read(in);
        if (f == null || f.kind() != KIND) throw new IOException("no request");
        return Json.MAPPER.readValue(f.payload(), PeerRequest.class);
    }
}

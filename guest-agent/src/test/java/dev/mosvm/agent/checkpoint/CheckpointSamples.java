package dev.mosvm.agent.checkpoint;

import dev.mosvm.agent.checkpoint.CheckpointManifest.FileSum;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.api.MigrationRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Manifests as a taker and the store make them, for the checkpoint package's tests. */
final class CheckpointSamples {
    private CheckpointSamples() {}

    static final byte[] KEY = "a pool's checkpoint key, 32 byte".getBytes(StandardCharsets.US_ASCII);
    static final byte[] OTHER_KEY = "another pool's key, also 32 byte".getBytes(StandardCharsets.US_ASCII);

    /** A job of home ca owned by {@code uid} that moved once, checkpointed every 10 minutes. */
    static JobSpec spec(String job, int uid) {
        return JobSpec.fresh(job, "ca", uid, uid, List.of("/usr/bin/simulate", "--steps", "9 000"), "2026-05-04T12:00:00Z", false, false,
                        "placed", "least loaded")
                .movedBy(new MigrationRecord("ca", "cb", "2026-05-04T12:10:00Z", 2, 120, 900, 1 << 20, "balanced", "cb is 1.8x faster", 12.5, "sealed"))
                .checkpointed(10, 3);
    }

    static CheckpointManifest unsigned(String job, int number, int parent, int uid) {
        return CheckpointManifest.unsigned(spec(job, uid), number, parent, "cb", "1.4.0", Arrays.asList("pipe:[123]", null, "pipe:[125]"), false,
                4096, 17, 1 << 20, 85);
    }

    /** Checkpoint 3 of ca.17, adding to 2, sealed with {@link #KEY}. */
    static CheckpointManifest sealed() {
        return unsigned("ca.17", 3, 2, 1000).sealed(Instant.parse("2026-05-04T12:34:56.700Z"), Map.of(
                "inventory.img", new FileSum(42, "0".repeat(64)),
                "pages-1.img", new FileSum(8192, "ab".repeat(32)),
                "stats-dump", new FileSum(0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")), KEY);
    }
}

package dev.mosvm.builder;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/** manifest.json beside a built image: what went in, and checksums of what came out. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageManifest(
        String key,
        String name,
        String version,
        String builtAt,
        String kernelCmdline,
        long buildSeconds,
        Map<String, String> packageVersions,
        Map<String, FileEntry> files,
        long rootfsBytes) {

    public record FileEntry(long size, String sha256) {}

    /** The version every agent reports: recipe version plus cache key. */
    public String imageVersion() {
        return version + "+" + key;
    }
}

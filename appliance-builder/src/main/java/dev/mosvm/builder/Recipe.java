package dev.mosvm.builder;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** An appliance recipe as written in images/*.yaml (see images/default.yaml for each key). */
public record Recipe(
        String name,
        String version,
        String suite,
        String mirror,
        String variant,
        List<String> packages,
        @JsonProperty("exclude-paths") List<String> excludePaths,
        @JsonProperty("keep-paths") List<String> keepPaths,
        @JsonProperty("disk-size") String diskSize,
        @JsonProperty("kernel-cmdline") String kernelCmdline,
        String files,
        @JsonProperty("enable-units") List<String> enableUnits) {

    public List<String> excludePaths() { return excludePaths == null ? List.of() : excludePaths; }
    public List<String> keepPaths() { return keepPaths == null ? List.of() : keepPaths; }
    public List<String> enableUnits() { return enableUnits == null ? List.of() : enableUnits; }
}

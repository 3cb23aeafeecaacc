package dev.mosvm.manager.instance;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** instance.yaml: what `up` chose for an instance, reused when it starts again. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstanceConfig(
        String name,
        int cpus,
        long memoryMiB,
        String accel,
        String imageKey,
        String imageDir,
        String mac,
        String uuid,
        String libvirtUri,
        String createdAt) {

    /** The libvirt domain name: prefixed so mosvm never touches a user's other domains. */
    public String domainName() {
        return domainName(name);
    }

    public static String domainName(String instance) {
        return "mosvm-" + instance;
    }
}

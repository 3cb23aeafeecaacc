package dev.mosvm.manager.instance;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.mosvm.manager.MosvmException;
import java.util.regex.Pattern;

/**
 * instance.yaml: what `up` chose for an instance, reused when it starts again (the CPU cap may
 * change at each `up`). {@code cpuModel}: a QEMU CPU model chosen at creation, null for the
 * default (everything TCG emulates, or the host's model under KVM). {@code clockOffset}: seconds
 * the VM's RTC runs from the host's clock, chosen at creation (null: none). {@code driver}:
 * "libvirt" or "qemu" (null: libvirt, for instances made before there was a choice).
 * {@code endpoint}: "HOST:PORT" other workstations' appliances are told to reach this one's
 * WireGuard port at, from {@code up --endpoint} (null: the qemu driver's LAN forward, or for
 * libvirt the appliance's own address); kept until another {@code --endpoint} replaces it.
 */
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
        String createdAt,
        Integer cpuCap,
        String cpuModel,
        Integer clockOffset,
        String driver,
        String endpoint) {

    /** Percent of each vCPU the VM may use; 100 when no cap was set. */
    public int cpuCapPercent() {
        return cpuCap == null ? 100 : cpuCap;
    }

    public InstanceConfig withCpuCap(int pct) {
        return new InstanceConfig(name, cpus, memoryMiB, accel, imageKey, imageDir, mac, uuid, libvirtUri, createdAt, pct, cpuModel, clockOffset, driver,
                endpoint);
    }

    public InstanceConfig withEndpoint(String hostPort) {
        return new InstanceConfig(name, cpus, memoryMiB, accel, imageKey, imageDir, mac, uuid, libvirtUri, createdAt, cpuCap, cpuModel, clockOffset, driver,
                hostPort);
    }

    /** Seconds the VM's RTC runs from the host's clock; 0 when none was set. */
    public int clockOffsetSeconds() {
        return clockOffset == null ? 0 : clockOffset;
    }

    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9-]{0,23}-");

    /** The libvirt domain name: prefixed so mosvm never touches a user's other domains. */
    public String domainName() {
        return domainName(name);
    }

    public static String domainName(String instance) {
        return domainPrefix() + instance;
    }

    /**
     * "mosvm-" unless MOSVM_DOMAIN_PREFIX says otherwise: libvirt's system daemon is shared by
     * every MOSVM_HOME on the machine, so two sets of instances with the same names (a test
     * run beside a user's own) need different prefixes to stay apart.
     */
    public static String domainPrefix() {
        String p = System.getenv("MOSVM_DOMAIN_PREFIX");
        if (p == null || p.isEmpty()) return "mosvm-";
        if (!PREFIX.matcher(p).matches()) {
            throw MosvmException.invalid("invalid MOSVM_DOMAIN_PREFIX '" + p
                    + "': use up to 25 lowercase letters, digits and '-', starting with a letter and ending with '-'");
        }
        return p;
    }
}

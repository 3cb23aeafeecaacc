package dev.mosvm.manager.appliance;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.manager.hypervisor.PeerForwards;
import java.util.List;

/**
 * An instance as `list` and `status` show it; BROKEN carries its reasons instead of failing.
 * {@code forwards}: the ports other workstations reach a running qemu-driver appliance through;
 * {@code endpoint}: its WireGuard endpoint given with {@code up --endpoint}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InstanceView(
        String name,
        String state,
        String address,
        Integer cpus,
        Long memoryMiB,
        String accel,
        String image,
        String domain,
        Long hostRssKb,
        AgentFacts facts,
        List<String> errors,
        PeerForwards forwards,
        String endpoint) {

    public static final String RUNNING = "RUNNING";
    public static final String STOPPED = "STOPPED";
    public static final String BROKEN = "BROKEN";
}

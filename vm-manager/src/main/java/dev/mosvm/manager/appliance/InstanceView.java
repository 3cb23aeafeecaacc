package dev.mosvm.manager.appliance;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mosvm.api.AgentFacts;
import java.util.List;

/** An instance as `list` and `status` show it; BROKEN carries its reasons instead of failing. */
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
        List<String> errors) {

    public static final String RUNNING = "RUNNING";
    public static final String STOPPED = "STOPPED";
    public static final String BROKEN = "BROKEN";
}

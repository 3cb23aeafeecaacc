package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * The first line on the job socket. {@code op} "run" (the default): what `mosrun` asks for,
 * the program and its arguments, the caller's environment and directory. "list": what
 * `mosps` asks for, the jobs on this node (one LIST frame comes back).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobRequest(String op, List<String> argv, Map<String, String> env, String cwd) {
    public static JobRequest run(List<String> argv, Map<String, String> env, String cwd) {
        return new JobRequest("run", argv, env, cwd);
    }

    public static JobRequest list() {
        return new JobRequest("list", null, null, null);
    }

    boolean isList() {
        return "list".equals(op);
    }
}

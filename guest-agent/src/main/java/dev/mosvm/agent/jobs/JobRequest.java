package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/** What `mosrun` asks for: the program and its arguments, the caller's environment and directory. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobRequest(List<String> argv, Map<String, String> env, String cwd) {}

package dev.mosvm.manager.pool;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.JobView;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.api.MigrationRequest;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.AgentAccess;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The pool's jobs from the host, through the local appliance's agent: list them (`mosvm ps`),
 * move one (`mosvm migrate`), take a checkpoint of one (`mosvm checkpoint`).
 */
public final class JobService {
    /** The agent waits up to 5 s for each peer's list: room for that and a slow guest. */
    static final Duration LIST_WAIT = Duration.ofSeconds(30);
    static final Duration CONNECT_WAIT = Duration.ofSeconds(30);
    /**
     * How long the host waits for a move: a large job under emulation takes a minute or more, and
     * the agent ends a move whose target died on its own. This bound only covers a local guest
     * that stops answering altogether (an HTTP request, unlike ssh's keepalives, does not notice).
     */
    static final Duration MIGRATE_WAIT = Duration.ofMinutes(15);
    /** How long the host waits for a checkpoint: it writes the job's memory to its home over NFS, as long as a move may take. */
    static final Duration CHECKPOINT_WAIT = MIGRATE_WAIT;

    private final AgentAccess agents;

    public JobService(AgentAccess agents) {
        this.agents = agents;
    }

    public List<JobView> list(String instance) throws IOException, AgentException {
        try {
            return agents.client(instance, LIST_WAIT, true).jobs();
        } catch (AgentException e) {
            throw refused(instance, e);
        }
    }

    public MigrationRecord migrate(String instance, String job, String node, MigrationMode mode) throws IOException, AgentException {
        try {
            return agents.client(instance, CONNECT_WAIT, true).migrate(new MigrationRequest(job, node, mode), MIGRATE_WAIT);
        } catch (AgentException e) {
            throw refused(instance, e);
        }
    }

    public CheckpointRecord checkpoint(String instance, String job) throws IOException, AgentException {
        try {
            return agents.client(instance, CONNECT_WAIT, true).checkpoint(job, CHECKPOINT_WAIT);
        } catch (AgentException e) {
            throw refused(instance, e);
        }
    }

    /**
     * Throws a refusal in the agent's own words (the job service's one line, as `migrate` in the
     * appliance says it) and an agent without these endpoints as a state error; returns any
     * other failure (unreachable, unauthorized) for the CLI to explain as it does for every command.
     */
    static AgentException refused(String instance, AgentException e) {
        if (e.status() == 404) {
            throw MosvmException.state("the agent of instance '" + instance + "' has no job service API: its appliance image "
                    + "is older than this mosvm", "recreate it: mosvm destroy " + instance + " && mosvm up " + instance);
        }
        if (e.status() == 409 && e.reason() != null) throw new MosvmException(ExitCodes.FAILED, e.reason(), null, e);
        return e;
    }
}

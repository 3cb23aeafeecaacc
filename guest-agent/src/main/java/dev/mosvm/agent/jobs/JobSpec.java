package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;

/**
 * What travels with a job wherever it runs: its pool-wide id, home node, owner, command,
 * start time, whether it is pinned to its home ({@code mosrun -L}), and its migrations.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobSpec(String id, String home, int uid, int gid, List<String> argv, String started, boolean pinned,
                      List<MigrationRecord> migrations) {
    public JobSpec {
        argv = List.copyOf(argv);
        migrations = migrations == null ? List.of() : List.copyOf(migrations);
    }

    public JobSpec movedBy(MigrationRecord m) {
        List<MigrationRecord> all = new ArrayList<>(migrations);
        all.add(m);
        return new JobSpec(id, home, uid, gid, argv, started, pinned, all);
    }
}

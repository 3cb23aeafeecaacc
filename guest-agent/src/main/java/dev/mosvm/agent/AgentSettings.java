package dev.mosvm.agent;

import dev.mosvm.api.AgentProtocol;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * How the daemon runs. The systemd unit uses the defaults; the image build's self-test and
 * local tests override them with -Dmosvm.agent.* properties or `mosvm-agent serve` options.
 *
 * @param config        guest configuration JSON; null = the fw_cfg entry
 * @param port          HTTPS port; 0 = any free port
 * @param speedBudgetMs time given to the speed benchmark
 * @param powerOff      command run on a shutdown request
 * @param selfTest      check itself over loopback, then exit
 * @param pool          pool membership file; the agent gossips only if it exists
 * @param jobsSocket    Unix socket `mosrun` reaches the agent on; null = no job service
 */
record AgentSettings(Path config, int port, long speedBudgetMs, List<String> powerOff, boolean selfTest, Path pool,
                     Path jobsSocket) {
    /** Where `mosrun` finds the agent inside the appliance. */
    static final Path DEFAULT_JOBS_SOCKET = Path.of("/run/mosvm/jobs.sock");
    /** Each job's init works in its own directory here, node-local (JobTable#initDirFor says why). */
    static final Path JOBS_INIT = Path.of("/run/mosvm/init");
    /** Each job's cgroup lives under this (cgroup v2). */
    static final Path JOBS_CGROUP = Path.of("/sys/fs/cgroup/mosvm");
    /** Where a joined node keeps its pool membership. */
    static final Path DEFAULT_POOL = Path.of("/etc/mosvm/pool.json");


    static AgentSettings fromSystemProperties() {
        String cfg = System.getProperty("mosvm.agent.config");
        return new AgentSettings(cfg == null ? null : Path.of(cfg),
                Integer.getInteger("mosvm.agent.port", AgentProtocol.PORT),
                Long.getLong("mosvm.agent.speedBudgetMs", 400),
                Arrays.asList(System.getProperty("mosvm.agent.powerOff", "systemctl poweroff").split(" ")),
                Boolean.getBoolean("mosvm.agent.selfTest"),
                System.getProperty("mosvm.agent.pool") == null ? DEFAULT_POOL : Path.of(System.getProperty("mosvm.agent.pool")),
                System.getProperty("mosvm.agent.jobsSocket") == null ? DEFAULT_JOBS_SOCKET
                        : System.getProperty("mosvm.agent.jobsSocket").isEmpty() ? null : Path.of(System.getProperty("mosvm.agent.jobsSocket")));
    }
}

package dev.mosvm.agent;

import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.layout.GuestLayout;
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
 * @param peerPort      TCP port of the peer service, this node's and its peers' (tests on one machine choose a free one)
 */
record AgentSettings(Path config, int port, long speedBudgetMs, List<String> powerOff, boolean selfTest, Path pool,
                     Path jobsSocket, int peerPort) {


    static AgentSettings fromSystemProperties() {
        String cfg = System.getProperty("mosvm.agent.config");
        return new AgentSettings(cfg == null ? null : Path.of(cfg),
                Integer.getInteger("mosvm.agent.port", AgentProtocol.PORT),
                Long.getLong("mosvm.agent.speedBudgetMs", 400),
                Arrays.asList(System.getProperty("mosvm.agent.powerOff", "systemctl poweroff").split(" ")),
                Boolean.getBoolean("mosvm.agent.selfTest"),
                System.getProperty("mosvm.agent.pool") == null ? GuestLayout.POOL_STATE : Path.of(System.getProperty("mosvm.agent.pool")),
                System.getProperty("mosvm.agent.jobsSocket") == null ? GuestLayout.JOBS_SOCKET
                        : System.getProperty("mosvm.agent.jobsSocket").isEmpty() ? null : Path.of(System.getProperty("mosvm.agent.jobsSocket")),
                Integer.getInteger("mosvm.agent.peerPort", PeerDirectory.PORT));
    }
}

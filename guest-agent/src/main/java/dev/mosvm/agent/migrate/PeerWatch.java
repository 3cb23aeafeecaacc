package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Closes a migration's channel when gossip stops seeing the other node alive. A VM that dies
 * sends no TCP reset, so without this a blocked write or read would wait for TCP's own
 * timeout (minutes) before the job could resume on its source.
 */
final class PeerWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerWatch.class.getName());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peer-watch");
        t.setDaemon(true);
        return t;
    });

    PeerWatch(PeerChannel ch, PeerDirectory peers, String node) {
        timer.scheduleWithFixedDelay(() -> {
            if (!peers.alivePeers().contains(node)) {
                LOG.warning(node + " is no longer alive in the pool's view: closing the migration's connection");
                try {
                    ch.close();
                } catch (IOException e) {
                    // closed already
                }
                timer.shutdown();
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

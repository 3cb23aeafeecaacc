package dev.mosvm.agent.migrate;

import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Closes a migration's channel when gossip stops seeing the other node alive. A VM that dies
 * sends no TCP reset, so without this a blocked write or read would wait for TCP's own
 * timeout (minutes) before the job could resume on its source. The page stream's connection
 * (mosvm-pagelink) is outside the agent: a blocked write there ends by the appliance's short
 * retransmission limit (sysctl), but a read with nothing unacknowledged (an answer awaited
 * from a node whose dead kernel had acknowledged everything) never would, so every TCP socket
 * to the dead node is destroyed too ({@code ss -K}), and CRIU fails cleanly, leaving the job
 * running.
 */
final class PeerWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerWatch.class.getName());
    private final Supervised timer;

    PeerWatch(PeerChannel ch, PeerDirectory peers, String node) {
        timer = Supervised.periodicWhile("peer-watch", 1000, 1000, () -> {
            if (!peers.alivePeers().contains(node)) {
                LOG.warning(node + " is no longer alive in the pool's view: closing the migration's connection");
                try {
                    ch.close();
                } catch (IOException e) {
                    // closed already
                }
                killSockets(ch.remoteAddress().getHostAddress());
                return false;
            }
            return true;
        });
    }

    private static void killSockets(String address) {
        try {
            Process p = new ProcessBuilder("ss", "-K", "-t", "dst", address).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) LOG.warning("ss -K dst " + address + " failed: " + out);
        } catch (IOException e) {
            LOG.warning("cannot destroy sockets to " + address + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        timer.close();
    }
}

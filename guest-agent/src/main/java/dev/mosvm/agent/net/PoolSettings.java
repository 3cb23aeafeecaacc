package dev.mosvm.agent.net;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The agent's pool membership, as {@code /etc/mosvm/pool.json} (written when the node
 * joins): who it is in the pool, where it gossips, the pool's gossip keys, and whom to ask
 * to join. {@code profile} names a {@link dev.mosvm.agent.gossip.GossipConfig} profile.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolSettings(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                           List<String> seeds, String profile) {
    public record Key(int id, String base64) {}
}

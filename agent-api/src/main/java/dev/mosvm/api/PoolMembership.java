package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A node's membership in a pool, as the agent keeps it (/etc/mosvm/pool.json): its name and
 * gossip address there, the pool's gossip keys (AES-256, base64, by id), and whom to ask to
 * join. {@code profile} "test" selects the fast test tunables; otherwise {@code intervalMillis}
 * and {@code window} (set when the pool was founded, 0 = defaults) do.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolMembership(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                             List<String> seeds, String profile, long intervalMillis, int window) {
    public record Key(int id, String base64) {}

    public PoolMembership as(String node, String address, int port) {
        return new PoolMembership(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window);
    }
}

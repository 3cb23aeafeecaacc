package dev.mosvm.api;

/**
 * A node asking to join: the token's secret, who it will be in the pool, and the public half of
 * its identity key (base64 of the raw Ed25519 key), which the pool certifies as that node's.
 * In a pool whose overlay is on, also its WireGuard public key (base64), certified with it, and
 * the endpoint ("HOST:PORT") where the pool's members reach that WireGuard port (null: where
 * its packets come from, for a joiner behind a NAT nobody can dial).
 */
public record JoinRequest(String joinSecret, String node, String identityKey, String overlayKey, String endpoint) {
    public JoinRequest(String joinSecret, String node, String identityKey) {
        this(joinSecret, node, identityKey, null, null);
    }

    @Override
    public String toString() {
        return "JoinRequest[node=" + node + ", joinSecret=<redacted>]";
    }
}

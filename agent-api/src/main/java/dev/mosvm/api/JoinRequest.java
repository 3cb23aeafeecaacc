package dev.mosvm.api;

/**
 * A node asking to join: the token's secret, who it will be in the pool, and the public half of
 * its identity key (base64 of the raw Ed25519 key), which the pool certifies as that node's.
 */
public record JoinRequest(String joinSecret, String node, String identityKey) {
    @Override
    public String toString() {
        return "JoinRequest[node=" + node + ", joinSecret=<redacted>]";
    }
}

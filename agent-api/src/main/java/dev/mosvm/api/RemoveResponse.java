package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * A removal done: the pool's new gossip key id, and how many members are being handed it
 * (each gets it at its next contact with the founder; a member down now gets it when it returns);
 * {@code revokedTokens}, the join tokens the removed node came with that were still live and
 * are revoked with it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RemoveResponse(String pool, String removed, int keyId, int members, List<String> revokedTokens) {
    public RemoveResponse {
        revokedTokens = revokedTokens == null ? List.of() : List.copyOf(revokedTokens);
    }
}

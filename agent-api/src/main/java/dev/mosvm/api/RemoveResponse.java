package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * A removal done: the pool's new gossip key id, and how many members are being handed it
 * (each gets it at its next contact with the founder; a member down now gets it when it returns);
 * {@code revokedTokens}, the join tokens the removed node came with that were still live and
 * are revoked with it.
 *
 * <p>A removal by an admitter: {@code keyId} is 0 and {@code members} counts the members told so
 * far; {@code founderPending} names the founder when it has not had the notice yet (it rotates
 * the gossip key when it has; null once it has, and always in a removal by the founder).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RemoveResponse(String pool, String removed, int keyId, int members, List<String> revokedTokens, String founderPending) {
    public RemoveResponse {
        revokedTokens = revokedTokens == null ? List.of() : List.copyOf(revokedTokens);
    }
}

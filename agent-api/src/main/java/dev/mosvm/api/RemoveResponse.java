package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A removal done: the pool's new gossip key id, and how many members are being handed it
 * (each gets it at its next contact with the founder; a member down now gets it when it returns).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RemoveResponse(String pool, String removed, int keyId, int members) {}

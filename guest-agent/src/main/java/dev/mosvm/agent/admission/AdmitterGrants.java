package dev.mosvm.agent.admission;

import dev.mosvm.agent.identity.Ed25519;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.api.Json;
import dev.mosvm.api.PoolMembership;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.Base64;

/**
 * An admitter's grant on its way from the founder: the pool's master secret, the authority's
 * private key and the admitter's number, as JSON sealed (AES-256-GCM) under the admitter's node
 * key, bound to the pool and the admitter's name. Only holders of the master (the founder and
 * its admitters) can seal one, and only that member open it: the other members hold the gossip
 * key, not its node key. A member takes a grant only from the founder, as the peer channel proves it.
 */
public final class AdmitterGrants {
    private AdmitterGrants() {}

    /** Admitters are numbered 1 to this; number N seats its joiners in 10.77.N.0/24. */
    public static final int MAX_NUMBER = dev.mosvm.agent.overlay.OverlayAddresses.ADMITTER_BLOCKS;

    private static byte[] associated(String pool, String node) {
        return ("mosvm admitter grant v1\0" + pool + "\0" + node).getBytes(StandardCharsets.UTF_8);
    }

    /** The grant for {@code node}, sealed, base64: what the founder sends it. */
    public static String seal(byte[] master, String pool, String node, PoolMembership.Grant grant) {
        try {
            byte[] json = Json.MAPPER.writeValueAsBytes(grant);
            return Base64.getEncoder().encodeToString(KeyEnvelope.sealBytes(KeyEnvelope.nodeKey(master, pool, node), json, associated(pool, node)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a grant", e);
        }
    }

    /**
     * The grant inside {@code sealed}, checked: it opens with this node's key, its master is the
     * one this node's key derives from, and its authority secret is the half of {@code authorityKeyBase64}.
     * A SecurityException says which check failed.
     */
    public static PoolMembership.Grant open(byte[] nodeKey, String pool, String node, byte[] sealed, String authorityKeyBase64) {
        byte[] json = KeyEnvelope.openBytes(nodeKey, sealed, associated(pool, node));
        if (json == null) throw new SecurityException("the grant is not sealed for this node");
        PoolMembership.Grant g;
        try {
            g = Json.MAPPER.readValue(json, PoolMembership.Grant.class);
        } catch (java.io.IOException e) {
            throw new SecurityException("the grant does not parse");
        }
        if (g.number() < 1 || g.number() > MAX_NUMBER) throw new SecurityException("the grant's number " + g.number() + " is not 1 to " + MAX_NUMBER);
        byte[] master;
        byte[] authorityKey;
        KeyPair authority;
        try {
            master = Base64.getDecoder().decode(String.valueOf(g.master()));
            authorityKey = Base64.getDecoder().decode(authorityKeyBase64);
            authority = Ed25519.fromPkcs8(Base64.getDecoder().decode(String.valueOf(g.authoritySecret())), authorityKey);
        } catch (RuntimeException e) {
            throw new SecurityException("the grant's secrets do not decode");
        }
        if (master.length != 32 || !Arrays.equals(KeyEnvelope.nodeKey(master, pool, node), nodeKey)) {
            throw new SecurityException("the grant's master secret is not this pool's");
        }
        byte[] probe = ("mosvm grant probe\0" + pool + "\0" + node).getBytes(StandardCharsets.UTF_8);
        if (!Ed25519.verify(authorityKey, probe, Ed25519.sign(authority.getPrivate(), probe))) {
            throw new SecurityException("the grant's authority secret is not the pool's");
        }
        return g;
    }
}

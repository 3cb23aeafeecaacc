package dev.mosvm.agent.net;

import dev.mosvm.agent.identity.MemberCheck;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.MemberCredentials;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.api.PoolMembership;
import java.util.Arrays;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node's credentials in a pool and their rotation. Removing a member means a new gossip
 * key that only the remaining members receive, each sealed under its own node key
 * ({@link KeyEnvelope}); the removed node keeps only keys that stop working.
 *
 * <p>Pure: no sockets, no clock; time comes in as arguments. The pool authority (the founder,
 * holding the master secret) rotates; members apply what it hands them. After a rotation the
 * previous key keeps opening packets for a grace period (members that have not been handed the
 * new key yet still talk), then members drop it and the authority retires it: it still opens
 * packets with it, only to hand a member that was away the new key.
 */
public final class PoolKeys {
    /** How many keys the authority keeps for members that missed rotations. */
    static final int AUTHORITY_KEEPS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final String pool;
    private final String self;
    private final String authority;
    private final byte[] master;
    private final byte[] nodeKey;
    private final Keyring ring = new Keyring();
    private final Set<String> revoked = new LinkedHashSet<>();
    private final Map<Integer, Long> graceEnds = new HashMap<>();
    private int epoch;
    /** This member's identity and certificate, and the check of its peers' (null in a membership from before identities). */
    private final MemberCredentials credentials;

    /** Keys alone, with no identity to show on the peer channel (gossip needs none). */
    public PoolKeys(PoolMembership m) {
        this(m, null);
    }

    /**
     * @param identity this node's key pair; with the membership's certificate for it, what the
     *                 node shows on the peer channel. A certificate for another key is refused.
     */
    public PoolKeys(PoolMembership m, NodeIdentity identity) {
        this.pool = m.pool();
        this.self = m.node();
        this.authority = m.authority();
        this.master = m.master() == null ? null : Base64.getDecoder().decode(m.master());
        this.nodeKey = m.nodeKey() == null ? null : Base64.getDecoder().decode(m.nodeKey());
        for (PoolMembership.Key k : m.keys()) ring.install(k.id(), Base64.getDecoder().decode(k.base64()));
        ring.usePrimary(m.primaryKey());
        for (int id : ring.ids()) if (id != m.primaryKey()) ring.retire(id); // kept across a restart: past any grace
        this.epoch = m.epoch();
        revoked.addAll(m.revoked());
        this.credentials = credentials(m, identity, this::revoked);
    }

    private static MemberCredentials credentials(PoolMembership m, NodeIdentity identity, java.util.function.Predicate<String> removed) {
        if (identity == null || m.certificate() == null || m.authorityKey() == null) return null;
        byte[] certificate = Base64.getDecoder().decode(m.certificate());
        MemberCertificate c = MemberCertificate.decode(certificate);
        if (!c.node().equals(m.node()) || !Arrays.equals(c.publicKey(), identity.publicKey())) {
            throw new IllegalArgumentException("the pool's certificate is for " + c.node() + " with key " + NodeIdentity.fingerprint(c.publicKey())
                    + ", not this node's (" + m.node() + ", key " + identity.fingerprint() + "); leave the pool and join again");
        }
        return new MemberCredentials(identity, certificate, MemberCheck.of(m.pool(), m.authorityKey(), removed));
    }

    /**
     * What this member shows and checks on the peer channel; an IllegalStateException if it
     * has none (it joined before members had identities, and must join again).
     */
    public MemberCredentials credentials() {
        if (credentials == null) throw new IllegalStateException("this node holds no member certificate for pool " + pool + "; leave it and join again");
        return credentials;
    }

    public Keyring ring() {
        return ring;
    }

    public boolean isAuthority() {
        return master != null;
    }

    public String authority() {
        return authority;
    }

    public synchronized boolean revoked(String node) {
        return revoked.contains(node);
    }

    public synchronized List<String> revokedNodes() {
        return List.copyOf(revoked);
    }

    public synchronized int epoch() {
        return epoch;
    }

    /** Takes {@code node} as removed without a new key (an admitter's notice; the founder rotates); false if it was already. */
    public synchronized boolean revoke(String node) {
        return revoked.add(node);
    }

    /** Authority: expels {@code node} with a new primary key; returns its id. */
    public synchronized int rotate(String node, long now, long graceMillis) {
        if (!isAuthority()) throw new IllegalStateException("only the pool's founder, " + authority + ", can remove members");
        revoked.add(node);
        int old = ring.primaryId();
        int id = old % 255 + 1;
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        ring.install(id, key);
        ring.usePrimary(id);
        epoch++;
        graceEnds.put(old, now + graceMillis);
        List<Integer> ids = ring.ids();
        for (int i = 0; i < ids.size() - AUTHORITY_KEEPS; i++) ring.remove(ids.get(i));
        return id;
    }

    /** Authority: the current key, sealed for {@code member}. */
    public synchronized RekeyMessage rekeyFor(String member) {
        if (!isAuthority()) throw new IllegalStateException("not the pool authority");
        RekeyMessage unsealed = new RekeyMessage(self, member, epoch, ring.primaryId(), List.copyOf(revoked), new byte[0]);
        byte[] envelope = KeyEnvelope.seal(KeyEnvelope.nodeKey(master, pool, member), ring.raw(ring.primaryId()), unsealed.header());
        return new RekeyMessage(self, member, epoch, ring.primaryId(), List.copyOf(revoked), envelope);
    }

    /** Outcome of a hand-out, for the caller to count and log. */
    public enum Applied { NEW_KEY, ALREADY_HAD, FORGED }

    /** Member: takes the new key if the hand-out is genuine, for us and newer than ours. */
    public synchronized Applied apply(RekeyMessage m, long now, long graceMillis) {
        if (nodeKey == null || !m.member().equals(self) || !m.authority().equals(authority)) return Applied.FORGED;
        byte[] key = KeyEnvelope.open(nodeKey, m.envelope(), m.header());
        if (key == null) return Applied.FORGED;
        if (m.epoch() <= epoch) return Applied.ALREADY_HAD;
        int old = ring.primaryId();
        ring.install(m.keyId(), key);
        ring.usePrimary(m.keyId());
        if (old != m.keyId()) graceEnds.put(old, now + graceMillis);
        epoch = m.epoch();
        revoked.addAll(m.revoked());
        return Applied.NEW_KEY;
    }

    /** Ends grace periods that are over: members drop the old key, the authority retires it. */
    public synchronized void tick(long now) {
        graceEnds.entrySet().removeIf(e -> {
            if (now < e.getValue()) return false;
            if (e.getKey() == ring.primaryId()) return true;
            if (isAuthority()) ring.retire(e.getKey());
            else ring.remove(e.getKey());
            return true;
        });
    }

    /** What to persist: the authority keeps its old keys, a member only the current one. */
    public synchronized PoolMembership persisted(PoolMembership base) {
        List<PoolMembership.Key> keys = new ArrayList<>();
        for (int id : ring.ids()) {
            if (isAuthority() || id == ring.primaryId()) keys.add(new PoolMembership.Key(id, Base64.getEncoder().encodeToString(ring.raw(id))));
        }
        return base.withKeys(keys, ring.primaryId(), epoch, List.copyOf(revoked));
    }
}

package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * A node's membership in a pool, as the agent keeps it (/etc/mosvm/pool.json): its name and
 * gossip address there, the pool's gossip keys (AES-256, base64, by id), and whom to ask to
 * join. {@code profile} "test" selects the fast test tunables; otherwise {@code intervalMillis}
 * and {@code window} (set when the pool was founded, 0 = defaults) do.
 *
 * <p>Key rotation: {@code authority} is the founding node, the only one holding the pool's
 * {@code master} secret. Every member holds its own {@code nodeKey}, derived from the master
 * and its name; the authority hands a new gossip key to each remaining member sealed under
 * that member's node key, so a removed node ({@code revoked}) never learns it. {@code epoch}
 * counts rotations: a member takes only a newer one, so an old hand-out cannot be replayed.
 *
 * <p>{@code plainPageStreams}: migrations send pages unsealed (founded with {@code --page-streams
 * plain}); every member gets it from the founder, so both ends of a migration agree.
 *
 * <p>Identity: {@code authorityKey} is the pool's Ed25519 public key (base64, raw 32 bytes),
 * {@code authoritySecret} its private half (PKCS#8, the founder's only), and {@code certificate}
 * the authority's certificate (base64) that this node's name belongs to its own identity key.
 *
 * <p>{@code admittedAtMillis}: the pool's time when the admitter answered the join (0 in a kept
 * membership), so a joiner whose workstation's clock is off takes the pool's time before its
 * first gossip packet, which would otherwise be refused as stale or from the future.
 * {@code memberCertificates}: the certificates (base64) of the members the admitter knew, so
 * the joiner believes their gossip entries from its first packet instead of asking for them.
 *
 * <p>Overlay: {@code overlay} is the pool's mode ({@link PoolInitRequest#OVERLAY_WIREGUARD}, or
 * plain when null), {@code overlayAddress} this node's stable address on it (assigned by its
 * admitter and certified), and {@code memberEndpoints} where the admitter knew its members'
 * WireGuard ports to be (node to "HOST:PORT"), so a joiner can reach them before any gossip.
 *
 * <p>Admitters: {@code admittedBy} is the member that admitted this node (the founder or an
 * admitter), whose time it follows; {@code grant}, on a member the founder named an admitter,
 * the master secret and authority key it admits and removes members with, and its number (its
 * joiners' overlay addresses are {@code 10.77.number.0/24}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolMembership(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                             List<String> seeds, String profile, long intervalMillis, int window,
                             String authority, String master, String nodeKey, int epoch, List<String> revoked,
                             boolean plainPageStreams, String authorityKey, String authoritySecret, String certificate,
                             long admittedAtMillis, List<String> memberCertificates, String overlay, String overlayAddress,
                             Map<String, String> memberEndpoints, String admittedBy, Grant grant) {
    public record Key(int id, String base64) {}

    /** What the founder hands a member it names an admitter (sealed under that member's node key on the way). */
    public record Grant(int number, String master, String authoritySecret) {
        @Override
        public String toString() {
            return "Grant[number=" + number + ", secrets=<redacted>]";
        }
    }

    /** A membership admitted by nobody's grant (a founder's, or one from before admitters). */
    public PoolMembership(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                          List<String> seeds, String profile, long intervalMillis, int window,
                          String authority, String master, String nodeKey, int epoch, List<String> revoked,
                          boolean plainPageStreams, String authorityKey, String authoritySecret, String certificate,
                          long admittedAtMillis, List<String> memberCertificates, String overlay, String overlayAddress,
                          Map<String, String> memberEndpoints) {
        this(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window, authority, master, nodeKey, epoch,
                revoked, plainPageStreams, authorityKey, authoritySecret, certificate, admittedAtMillis, memberCertificates, overlay,
                overlayAddress, memberEndpoints, null, null);
    }

    /** A membership that hands on no members' certificates. */
    public PoolMembership(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                          List<String> seeds, String profile, long intervalMillis, int window,
                          String authority, String master, String nodeKey, int epoch, List<String> revoked,
                          boolean plainPageStreams, String authorityKey, String authoritySecret, String certificate, long admittedAtMillis) {
        this(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window, authority, master, nodeKey, epoch,
                revoked, plainPageStreams, authorityKey, authoritySecret, certificate, admittedAtMillis, List.of(), null, null, Map.of(), null, null);
    }

    /** A membership whose pool seals its page streams (the default). */
    public PoolMembership(String pool, String node, String address, int port, List<Key> keys, int primaryKey,
                          List<String> seeds, String profile, long intervalMillis, int window,
                          String authority, String master, String nodeKey, int epoch, List<String> revoked) {
        this(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window, authority, master, nodeKey, epoch,
                revoked, false, null, null, null, 0);
    }

    public PoolMembership {
        revoked = revoked == null ? List.of() : List.copyOf(revoked);
        memberCertificates = memberCertificates == null ? List.of() : List.copyOf(memberCertificates);
        memberEndpoints = memberEndpoints == null ? Map.of() : Map.copyOf(memberEndpoints);
    }

    /** The member whose time this node follows: its admitter, else (a membership from before admitters) the founder. */
    public String admitter() {
        return admittedBy != null ? admittedBy : authority;
    }

    /** Whether the pool's traffic rides the WireGuard overlay. */
    public boolean overlayOn() {
        return PoolInitRequest.OVERLAY_WIREGUARD.equals(overlay);
    }

    public PoolMembership as(String node, String address, int port) {
        return new PoolMembership(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window,
                authority, master, nodeKey, epoch, revoked, plainPageStreams, authorityKey, authoritySecret, certificate, 0, memberCertificates,
                overlay, overlayAddress, memberEndpoints, admittedBy, grant);
    }

    /** The same membership with other gossip keys and removed nodes (after a rotation). */
    public PoolMembership withKeys(List<Key> keys, int primaryKey, int epoch, List<String> revoked) {
        return new PoolMembership(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window,
                authority, master, nodeKey, epoch, revoked, plainPageStreams, authorityKey, authoritySecret, certificate, 0, memberCertificates,
                overlay, overlayAddress, memberEndpoints, admittedBy, grant);
    }

    /** The same membership remembering these members' certificates (an overlay member needs them after a restart to take anyone as a peer). */
    public PoolMembership withMemberCertificates(List<String> certificates) {
        return new PoolMembership(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window,
                authority, master, nodeKey, epoch, revoked, plainPageStreams, authorityKey, authoritySecret, certificate, 0, certificates,
                overlay, overlayAddress, memberEndpoints, admittedBy, grant);
    }

    /** The same membership holding {@code grant} (null: none), as an admitter does. */
    public PoolMembership withGrant(Grant grant) {
        return new PoolMembership(pool, node, address, port, keys, primaryKey, seeds, profile, intervalMillis, window,
                authority, master, nodeKey, epoch, revoked, plainPageStreams, authorityKey, authoritySecret, certificate, 0, memberCertificates,
                overlay, overlayAddress, memberEndpoints, admittedBy, grant);
    }

    @Override
    public String toString() {
        return "PoolMembership[pool=" + pool + ", node=" + node + ", authority=" + authority + ", keys=<redacted>]";
    }
}

package dev.mosvm.agent.identity;

import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Checks a certificate a peer shows: signed by this pool's authority, for this pool, naming
 * the member the peer claims to be, not of a removed member, and not older than another seen for
 * that member (one that joined again, with a new key, voids its old key). Certificates that checked out
 * are remembered (a few dozen), so a busy channel pays one signature check per connection,
 * the peer's proof of its key, rather than two.
 */
public final class MemberCheck {
    private static final int REMEMBERED = 64;
    private final String pool;
    private final byte[] authorityKey;
    private final Predicate<String> removed;
    /** The latest issue time seen per member: a member that joined again with a new key makes its older certificates void. */
    private final Map<String, Long> newest = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<ByteKey, MemberCertificate> verified = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteKey, MemberCertificate> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** @param removed whether a node name was removed from the pool (its certificate no longer counts) */
    public MemberCheck(String pool, byte[] authorityKey, Predicate<String> removed) {
        Ed25519.publicKey(authorityKey);
        this.pool = pool;
        this.authorityKey = authorityKey.clone();
        this.removed = removed;
    }

    public static MemberCheck of(String pool, String authorityKeyBase64, Predicate<String> removed) {
        return new MemberCheck(pool, Base64.getDecoder().decode(authorityKeyBase64), removed);
    }

    /**
     * The certificate in {@code bytes} if it is a valid one for {@code node}; otherwise a
     * SecurityException saying what is wrong with it.
     */
    public MemberCertificate check(byte[] bytes, String node) {
        MemberCertificate c;
        synchronized (verified) {
            c = verified.get(new ByteKey(bytes));
        }
        if (c == null) {
            try {
                c = MemberCertificate.decode(bytes);
            } catch (IllegalArgumentException e) {
                throw new SecurityException("a malformed certificate: " + e.getMessage());
            }
            byte[] signed = c.signedPart();
            if (!Ed25519.verify(authorityKey, signed, c.signature())) throw new SecurityException("a certificate this pool did not issue");
            synchronized (verified) {
                verified.put(new ByteKey(bytes), c);
            }
        }
        if (!pool.equals(c.pool())) throw new SecurityException("a certificate of pool " + c.pool() + ", not " + pool);
        if (!c.node().equals(node)) throw new SecurityException("a certificate of " + c.node() + " shown by a peer that says it is " + node);
        if (removed.test(c.node())) throw new SecurityException(c.node() + " was removed from the pool");
        long issued = c.issuedAtSeconds();
        long latest = newest.merge(c.node(), issued, Math::max);
        if (issued < latest) throw new SecurityException("a certificate of " + c.node() + " older than one already seen (it joined again with another key)");
        return c;
    }

    /** Checks {@code signature} over {@code message} with the key {@code certificate} names. */
    public static boolean signedBy(MemberCertificate certificate, byte[] message, byte[] signature) {
        return Ed25519.verify(certificate.publicKey(), message, signature);
    }

    private record ByteKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }
}

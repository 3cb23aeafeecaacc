package dev.mosvm.agent.identity;

import java.security.KeyPair;
import java.util.Base64;

/**
 * The key a pool certifies its members with. The founder makes it and keeps its private half;
 * every member holds the public half, with which it checks the certificate any peer shows.
 */
public final class PoolAuthority {
    private final KeyPair keys;
    private final String issuer;

    private PoolAuthority(KeyPair keys, String issuer) {
        this.keys = keys;
        this.issuer = issuer;
    }

    /** A new authority, run by node {@code issuer}. */
    public static PoolAuthority create(String issuer) {
        return new PoolAuthority(Ed25519.generate(), issuer);
    }

    /** The authority kept in a membership: its secret (PKCS#8) and public key, both base64. */
    public static PoolAuthority restore(String secretBase64, String publicBase64, String issuer) {
        Base64.Decoder b64 = Base64.getDecoder();
        return new PoolAuthority(Ed25519.fromPkcs8(b64.decode(secretBase64), b64.decode(publicBase64)), issuer);
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(Ed25519.raw(keys.getPublic()));
    }

    public String secretBase64() {
        return Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded());
    }

    /** The pool's word that {@code node} is removed, by this authority's holder (the issuer), at {@code nowSeconds}. */
    public RevokeNotice removal(String pool, String node, long nowSeconds) {
        return RevokeNotice.sign(keys.getPrivate(), pool, node, issuer, nowSeconds);
    }

    /** Certifies that {@code node} of {@code pool} is whoever holds the private half of {@code publicKey}. */
    public MemberCertificate certify(String pool, String node, byte[] publicKey, long nowSeconds) {
        return certify(pool, node, publicKey, nowSeconds, null);
    }

    /** Certifies as above, and that the member's seat on the overlay is {@code overlay}. */
    public MemberCertificate certify(String pool, String node, byte[] publicKey, long nowSeconds, MemberCertificate.Overlay overlay) {
        Ed25519.publicKey(publicKey); // a key that is no key is refused here, not at first use
        byte[] signed = MemberCertificate.signedPart(pool, node, issuer, publicKey, nowSeconds, overlay);
        return new MemberCertificate(pool, node, issuer, publicKey, nowSeconds, overlay, Ed25519.sign(keys.getPrivate(), signed));
    }
}

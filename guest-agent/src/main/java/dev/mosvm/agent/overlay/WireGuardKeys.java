package dev.mosvm.agent.overlay;

import dev.mosvm.agent.identity.RootOnlyFile;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Base64;
import java.util.logging.Logger;
import javax.crypto.KeyAgreement;

/**
 * This appliance's WireGuard key pair (X25519). The private key stays in a root-only file in
 * the form {@code wg set ... private-key FILE} reads (base64 of 32 bytes); the public key is
 * what the pool certifies as this member's seat on the overlay.
 */
public final class WireGuardKeys {
    private static final Logger LOG = Logger.getLogger(WireGuardKeys.class.getName());
    public static final int KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The X25519 base point, u = 9: a private key's public key is the key applied to it. */
    private static final BigInteger BASE_POINT = BigInteger.valueOf(9);

    private final Path file;
    private final byte[] publicKey;

    private WireGuardKeys(Path file, byte[] publicKey) {
        this.file = file;
        this.publicKey = publicKey;
    }

    /** The key pair in {@code file}, made there first if there is none (a damaged file is replaced: no pool has certified it usefully). */
    public static WireGuardKeys loadOrCreate(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            try {
                byte[] secret = decodeKey(Files.readString(file, StandardCharsets.US_ASCII).trim());
                return new WireGuardKeys(file, publicKeyOf(secret));
            } catch (IllegalArgumentException e) {
                LOG.warning("the WireGuard key in " + file + " is damaged (" + e.getMessage() + "): making a new one");
            }
        }
        byte[] secret = new byte[KEY_BYTES];
        RANDOM.nextBytes(secret);
        RootOnlyFile.write(file, Base64.getEncoder().encodeToString(secret) + "\n");
        return new WireGuardKeys(file, publicKeyOf(secret));
    }

    /** The file {@code wg} reads the private key from. */
    public Path privateKeyFile() {
        return file;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /** X25519(secret, 9), little-endian, as RFC 7748 and {@code wg pubkey} compute it. */
    static byte[] publicKeyOf(byte[] secret) {
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, secret)));
            ka.doPhase(kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BASE_POINT)), true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 is part of every Java 11+ runtime", e);
        }
    }

    /** A WireGuard key as {@code wg} spells it: base64 of exactly 32 bytes. */
    public static byte[] decodeKey(String base64) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64 == null ? "" : base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a WireGuard key is not base64");
        }
        if (key.length != KEY_BYTES) throw new IllegalArgumentException("a WireGuard key is 32 bytes, not " + key.length);
        return key;
    }
}

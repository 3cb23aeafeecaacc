package dev.mosvm.agent.net;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A 256-bit key sealed for one member: AES-256-GCM under that member's node key, bound to
 * associated data. Node keys are HMAC-SHA256(master, label | pool | node), the one-block
 * HKDF-Expand of RFC 5869: only the pool authority, which holds the master, can derive them.
 */
public final class KeyEnvelope {
    private KeyEnvelope() {}

    public static final int BYTES = 12 + 32 + 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    public static byte[] nodeKey(byte[] master, String pool, String node) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(master, "HmacSHA256"));
            mac.update("mosvm node key v1\0".getBytes(StandardCharsets.UTF_8));
            mac.update((pool + "\0" + node).getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 1);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public static byte[] seal(byte[] nodeKey, byte[] key, byte[] associatedData) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, nodeKey, nonce, associatedData);
            return ByteBuffer.allocate(BYTES).put(nonce).put(c.doFinal(key)).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** The key inside, or null if the envelope was not sealed for this node key and data. */
    public static byte[] open(byte[] nodeKey, byte[] envelope, byte[] associatedData) {
        if (envelope.length != BYTES) return null;
        try {
            byte[] nonce = java.util.Arrays.copyOf(envelope, 12);
            return cipher(Cipher.DECRYPT_MODE, nodeKey, nonce, associatedData).doFinal(envelope, 12, BYTES - 12);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /** Seals {@code secret} of any length (an admitter's grant) the same way: nonce, ciphertext, tag. */
    public static byte[] sealBytes(byte[] nodeKey, byte[] secret, byte[] associatedData) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            byte[] sealed = cipher(Cipher.ENCRYPT_MODE, nodeKey, nonce, associatedData).doFinal(secret);
            return ByteBuffer.allocate(12 + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** What {@link #sealBytes} sealed, or null if it was not sealed for this node key and data. */
    public static byte[] openBytes(byte[] nodeKey, byte[] envelope, byte[] associatedData) {
        if (envelope == null || envelope.length < 12 + 16) return null;
        try {
            byte[] nonce = java.util.Arrays.copyOf(envelope, 12);
            return cipher(Cipher.DECRYPT_MODE, nodeKey, nonce, associatedData).doFinal(envelope, 12, envelope.length - 12);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private static Cipher cipher(int mode, byte[] nodeKey, byte[] nonce, byte[] aad) throws GeneralSecurityException {
        SecretKey k = new SecretKeySpec(nodeKey, "AES");
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, k, new GCMParameterSpec(128, nonce));
        c.updateAAD(aad);
        return c;
    }
}

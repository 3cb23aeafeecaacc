package dev.mosvm.agent.identity;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The pool's word that member {@code node} is removed: what an admitter that removed it hands
 * the other members (and the founder, which then rotates the gossip key) while the founder may
 * be off. Signed with the pool authority's key, which the founder and its admitters hold, so
 * any member checks it with the authority key it already has. The wire format, in one place
 * (big-endian):
 * <pre>
 *   'R' 'N' version:u8 pool:str node:str by:str atSeconds:u64 signature:64
 *   str = length:u8 utf8-bytes
 * </pre>
 * Every field is checked on decode and trailing bytes are an error. A notice has no expiry:
 * removal is for good, so a replayed one changes nothing.
 */
public record RevokeNotice(String pool, String node, String by, long atSeconds, byte[] signature) {
    public static final byte VERSION = 1;
    public static final int MAX_BYTES = 3 + 3 * 65 + 8 + 64;
    private static final Pattern POOL = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public RevokeNotice {
        if (pool == null || !POOL.matcher(pool).matches()) throw new IllegalArgumentException("invalid pool name in a removal notice");
        if (node == null || !NODE.matcher(node).matches()) throw new IllegalArgumentException("invalid node name in a removal notice");
        if (by == null || !NODE.matcher(by).matches()) throw new IllegalArgumentException("invalid remover in a removal notice");
        if (atSeconds < 0) throw new IllegalArgumentException("a removal notice from before 1970");
        if (signature == null || signature.length != Ed25519.SIGNATURE_BYTES) throw new IllegalArgumentException("a removal notice's signature is 64 bytes");
        signature = signature.clone();
    }

    /** Member {@code by} removes {@code node}, signing with the authority's private key. */
    public static RevokeNotice sign(PrivateKey authority, String pool, String node, String by, long atSeconds) {
        byte[] signed = signedPart(pool, node, by, atSeconds);
        return new RevokeNotice(pool, node, by, atSeconds, Ed25519.sign(authority, signed));
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Whether the pool authority whose raw public key is {@code authorityKey} signed this notice. */
    public boolean signedBy(byte[] authorityKey) {
        return Ed25519.verify(authorityKey, signedPart(pool, node, by, atSeconds), signature);
    }

    static byte[] signedPart(String pool, String node, String by, long atSeconds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(MAX_BYTES);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('R');
            out.writeByte('N');
            out.writeByte(VERSION);
            MemberCertificate.str(out, pool);
            MemberCertificate.str(out, node);
            MemberCertificate.str(out, by);
            out.writeLong(atSeconds);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public byte[] encode() {
        byte[] head = signedPart(pool, node, by, atSeconds);
        byte[] all = Arrays.copyOf(head, head.length + signature.length);
        System.arraycopy(signature, 0, all, head.length, signature.length);
        return all;
    }

    /** Parses a notice (not its signature: {@link #signedBy} checks that). */
    public static RevokeNotice decode(byte[] bytes) {
        if (bytes == null || bytes.length > MAX_BYTES) throw new IllegalArgumentException("a removal notice of more than " + MAX_BYTES + " bytes");
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.get() != 'R' || in.get() != 'N') throw new IllegalArgumentException("not a mosvm removal notice");
            int version = in.get() & 0xFF;
            if (version != VERSION) throw new IllegalArgumentException("a removal notice of version " + version + ", this agent reads " + VERSION);
            String pool = MemberCertificate.str(in);
            String node = MemberCertificate.str(in);
            String by = MemberCertificate.str(in);
            long at = in.getLong();
            byte[] sig = new byte[Ed25519.SIGNATURE_BYTES];
            in.get(sig);
            if (in.hasRemaining()) throw new IllegalArgumentException("trailing bytes after a removal notice");
            return new RevokeNotice(pool, node, by, at, sig);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a truncated removal notice");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RevokeNotice n && Arrays.equals(encode(), n.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "RevokeNotice[pool=" + pool + ", node=" + node + ", by=" + by + ", at=" + atSeconds + "]";
    }
}

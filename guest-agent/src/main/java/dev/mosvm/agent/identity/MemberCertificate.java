package dev.mosvm.agent.identity;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A pool's word that a node name belongs to a public key: what a member shows on the peer
 * channel to prove which member it is. The wire format, in one place (big-endian):
 * <pre>
 *   'M' 'C' version:u8 pool:str node:str issuer:str key:32 issuedAtSeconds:u64 signature:64
 *   str = length:u8 utf8-bytes
 * </pre>
 * The signature is the pool authority's Ed25519 signature over everything before it. Every
 * field is checked on decode and trailing bytes are an error.
 */
public record MemberCertificate(String pool, String node, String issuer, byte[] publicKey, long issuedAtSeconds, byte[] signature) {
    public static final byte VERSION = 1;
    /** Larger than any valid certificate: three names of 64 bytes, a key and a signature. */
    public static final int MAX_BYTES = 3 + 3 * 65 + 32 + 8 + 64;
    private static final Pattern POOL = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public MemberCertificate {
        if (pool == null || !POOL.matcher(pool).matches()) throw new IllegalArgumentException("invalid pool name in a certificate");
        if (node == null || !NODE.matcher(node).matches()) throw new IllegalArgumentException("invalid node name in a certificate");
        if (issuer == null || !NODE.matcher(issuer).matches()) throw new IllegalArgumentException("invalid issuer in a certificate");
        if (publicKey == null || publicKey.length != Ed25519.PUBLIC_KEY_BYTES) throw new IllegalArgumentException("a certificate's key is 32 bytes");
        if (issuedAtSeconds < 0) throw new IllegalArgumentException("a certificate issued before 1970");
        if (signature == null || signature.length != Ed25519.SIGNATURE_BYTES) throw new IllegalArgumentException("a certificate's signature is 64 bytes");
        publicKey = publicKey.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** What the authority signs: every field but the signature. */
    public static byte[] signedPart(String pool, String node, String issuer, byte[] publicKey, long issuedAtSeconds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(MAX_BYTES);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('C');
            out.writeByte(VERSION);
            str(out, pool);
            str(out, node);
            str(out, issuer);
            out.write(publicKey);
            out.writeLong(issuedAtSeconds);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public byte[] encode() {
        byte[] head = signedPart(pool, node, issuer, publicKey, issuedAtSeconds);
        byte[] all = Arrays.copyOf(head, head.length + signature.length);
        System.arraycopy(signature, 0, all, head.length, signature.length);
        return all;
    }

    /** Parses a certificate (not its signature: {@link MemberCheck} does that). */
    public static MemberCertificate decode(byte[] bytes) {
        if (bytes == null || bytes.length > MAX_BYTES) throw new IllegalArgumentException("a certificate of more than " + MAX_BYTES + " bytes");
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.get() != 'M' || in.get() != 'C') throw new IllegalArgumentException("not a mosvm member certificate");
            int version = in.get() & 0xFF;
            if (version != VERSION) throw new IllegalArgumentException("a member certificate of version " + version + ", this agent reads " + VERSION);
            String pool = str(in);
            String node = str(in);
            String issuer = str(in);
            byte[] key = new byte[Ed25519.PUBLIC_KEY_BYTES];
            in.get(key);
            long issuedAt = in.getLong();
            byte[] sig = new byte[Ed25519.SIGNATURE_BYTES];
            in.get(sig);
            if (in.hasRemaining()) throw new IllegalArgumentException("trailing bytes after a member certificate");
            return new MemberCertificate(pool, node, issuer, key, issuedAt, sig);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a truncated member certificate");
        }
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeByte(b.length);
        out.write(b);
    }

    private static String str(ByteBuffer in) {
        byte[] b = new byte[in.get() & 0xFF];
        in.get(b);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a name in a certificate is not UTF-8");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemberCertificate c && Arrays.equals(encode(), c.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "MemberCertificate[pool=" + pool + ", node=" + node + ", issuer=" + issuer + ", issuedAt=" + issuedAtSeconds + "]";
    }
}

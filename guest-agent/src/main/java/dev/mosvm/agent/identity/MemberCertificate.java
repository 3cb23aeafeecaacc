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
 *   'M' 'C' version:u8 pool:str node:str issuer:str key:32 issuedAtSeconds:u64 [overlay] signature:64
 *   overlay = wireguardKey:32 overlayAddress:4      (version 2 only)
 *   str = length:u8 utf8-bytes
 * </pre>
 * Version 2 also certifies the member's seat on the pool's WireGuard overlay: its WireGuard
 * public key and its overlay address, so a peer added to the overlay is a member and packets
 * from an overlay address come from that member. A certificate without a seat is written as
 * version 1 (a pool without an overlay). The signature is the pool authority's Ed25519
 * signature over everything before it. Every field is checked on decode and trailing bytes are an error.
 */
public record MemberCertificate(String pool, String node, String issuer, byte[] publicKey, long issuedAtSeconds, Overlay overlay,
                                byte[] signature) {
    public static final byte VERSION = 2;
    /** Larger than any valid certificate: three names of 64 bytes, two keys, an address and a signature. */
    public static final int MAX_BYTES = 3 + 3 * 65 + 32 + 8 + 32 + 4 + 64;

    /** A member's seat on the overlay: its WireGuard (X25519) public key and its IPv4 address there. */
    public record Overlay(byte[] wireguardKey, java.net.Inet4Address address) {
        public Overlay {
            if (wireguardKey == null || wireguardKey.length != 32) throw new IllegalArgumentException("a WireGuard key is 32 bytes");
            if (address == null) throw new IllegalArgumentException("an overlay seat needs an address");
            wireguardKey = wireguardKey.clone();
        }

        @Override
        public byte[] wireguardKey() {
            return wireguardKey.clone();
        }

        /** The key as {@code wg} spells it. */
        public String wireguardKeyBase64() {
            return java.util.Base64.getEncoder().encodeToString(wireguardKey);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Overlay v && Arrays.equals(wireguardKey, v.wireguardKey) && address.equals(v.address);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(wireguardKey) * 31 + address.hashCode();
        }
    }

    /** A certificate without an overlay seat. */
    public MemberCertificate(String pool, String node, String issuer, byte[] publicKey, long issuedAtSeconds, byte[] signature) {
        this(pool, node, issuer, publicKey, issuedAtSeconds, null, signature);
    }
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
    public byte[] signedPart() {
        return signedPart(pool, node, issuer, publicKey, issuedAtSeconds, overlay);
    }

    /** What the authority signs for these fields. */
    public static byte[] signedPart(String pool, String node, String issuer, byte[] publicKey, long issuedAtSeconds, Overlay overlay) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(MAX_BYTES);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('C');
            out.writeByte(overlay == null ? 1 : VERSION);
            str(out, pool);
            str(out, node);
            str(out, issuer);
            out.write(publicKey);
            out.writeLong(issuedAtSeconds);
            if (overlay != null) {
                out.write(overlay.wireguardKey);
                out.write(overlay.address.getAddress());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public byte[] encode() {
        byte[] head = signedPart();
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
            if (version != 1 && version != VERSION) {
                throw new IllegalArgumentException("a member certificate of version " + version + ", this agent reads 1 and " + VERSION);
            }
            String pool = str(in);
            String node = str(in);
            String issuer = str(in);
            byte[] key = new byte[Ed25519.PUBLIC_KEY_BYTES];
            in.get(key);
            long issuedAt = in.getLong();
            Overlay overlay = null;
            if (version == 2) {
                byte[] wg = new byte[32];
                in.get(wg);
                byte[] address = new byte[4];
                in.get(address);
                try {
                    overlay = new Overlay(wg, (java.net.Inet4Address) java.net.InetAddress.getByAddress(address));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e); // four bytes are always an address
                }
            }
            byte[] sig = new byte[Ed25519.SIGNATURE_BYTES];
            in.get(sig);
            if (in.hasRemaining()) throw new IllegalArgumentException("trailing bytes after a member certificate");
            return new MemberCertificate(pool, node, issuer, key, issuedAt, overlay, sig);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a truncated member certificate");
        }
    }

    static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeByte(b.length);
        out.write(b);
    }

    static String str(ByteBuffer in) {
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

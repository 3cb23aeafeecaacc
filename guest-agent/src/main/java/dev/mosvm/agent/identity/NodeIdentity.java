package dev.mosvm.agent.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.logging.Logger;

/**
 * This appliance's own key pair: made at its first start, kept root-only beside its pool
 * membership, and never sent anywhere. A pool certifies its public key at join
 * ({@link MemberCertificate}); signing with the private key is how the node proves it is that
 * member. Losing the file means a new key, and the node must join again.
 */
public final class NodeIdentity {
    private static final Logger LOG = Logger.getLogger(NodeIdentity.class.getName());
    private static final String HEADER = "mosvm node identity v1";
    private final KeyPair keys;
    private final byte[] publicKey;

    private NodeIdentity(KeyPair keys) {
        this.keys = keys;
        this.publicKey = Ed25519.raw(keys.getPublic());
    }

    /** A key pair held only in memory (tests, and nodes outside an appliance). */
    public static NodeIdentity ephemeral() {
        return new NodeIdentity(Ed25519.generate());
    }

    /** The identity kept in {@code file}, made and saved there if there is none. */
    public static NodeIdentity loadOrCreate(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            try {
                if (lines.size() < 3 || !HEADER.equals(lines.get(0))) throw new IllegalArgumentException("not a mosvm node identity");
                Base64.Decoder b64 = Base64.getDecoder();
                return new NodeIdentity(Ed25519.fromPkcs8(b64.decode(lines.get(1)), b64.decode(lines.get(2))));
            } catch (IllegalArgumentException e) {
                // an agent that cannot start helps nobody: the node gets a new key, and must join its pool again
                Path aside = file.resolveSibling(file.getFileName() + ".damaged");
                Files.move(file, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                LOG.severe(file + " holds no valid key (" + e.getMessage() + "), moved to " + aside + "; making a new one: this node must join its pool again");
            }
        }
        NodeIdentity made = ephemeral();
        Base64.Encoder b64 = Base64.getEncoder();
        RootOnlyFile.write(file, HEADER + "\n" + b64.encodeToString(made.keys.getPrivate().getEncoded()) + "\n"
                + b64.encodeToString(made.publicKey) + "\n");
        LOG.info("made this node's identity key " + made.fingerprint());
        return made;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    public byte[] sign(byte[] message) {
        return Ed25519.sign(keys.getPrivate(), message);
    }

    /** A short name for the key in logs: the first 12 hex digits of its SHA-256. */
    public String fingerprint() {
        return fingerprint(publicKey);
    }

    public static String fingerprint(byte[] publicKey) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(publicKey);
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

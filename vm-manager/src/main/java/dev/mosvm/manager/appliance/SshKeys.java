package dev.mosvm.manager.appliance;

import dev.mosvm.builder.LockFile;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;

/**
 * Ed25519 keys in OpenSSH's own formats, made in-process (no ssh-keygen needed at `up`): the
 * user's key, whose public half the guest trusts for root, and each instance's host key,
 * which the host pins in a known_hosts file under an alias, so `mosvm ssh` refuses an
 * impostor at the same address.
 */
public final class SshKeys {
    private SshKeys() {}

    /**
     * Writes {@code privateKey} (0600) and {@code privateKey}.pub if absent; returns the public line.
     * Several `up`s side by side all reach for the one user key: a lock file beside it (and this
     * JVM's monitor, as a JVM cannot lock a file twice) lets the first make it and the others read it.
     */
    public static synchronized String ensure(Path privateKey, String comment) throws IOException {
        Path pub = publicKeyOf(privateKey);
        try (LockFile lock = LockFile.acquire(privateKey.resolveSibling(privateKey.getFileName() + ".lock"))) {
            if (Files.isRegularFile(privateKey) && Files.isRegularFile(pub)) return Files.readString(pub).trim();
            return write(privateKey, pub, comment);
        }
    }

    private static String write(Path privateKey, Path pub, String comment) throws IOException {
        Ed25519KeyPairGenerator gen = new Ed25519KeyPairGenerator();
        gen.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        AsymmetricCipherKeyPair pair = gen.generateKeyPair();
        String pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(70, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(OpenSSHPrivateKeyUtil.encodePrivateKey(pair.getPrivate()))
                + "\n-----END OPENSSH PRIVATE KEY-----\n";
        String line = "ssh-ed25519 " + Base64.getEncoder().encodeToString(
                OpenSSHPublicKeyUtil.encodePublicKey((Ed25519PublicKeyParameters) pair.getPublic())) + " " + comment;
        InstanceStore.writePrivate(privateKey, pem);
        Files.writeString(pub, line + "\n");
        return line;
    }

    public static Path publicKeyOf(Path privateKey) {
        return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }

    /** The alias `mosvm ssh` checks an instance's host key under (its address may change). */
    public static String hostAlias(String instance) {
        return "mosvm-" + instance;
    }
}

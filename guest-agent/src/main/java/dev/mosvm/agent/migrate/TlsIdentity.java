package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This node's key and self-signed certificate for CRIU's page-server TLS. Made once per boot
 * (in /run), and handed to the other node over the authenticated peer channel at each
 * migration, so each side trusts exactly the other's certificate: no CA to run, and a page
 * stream only ever reaches the agent that accepted the job.
 */
final class TlsIdentity {
    private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
    private final Path key;
    private final Path cert;

    private TlsIdentity(Path dir) {
        this.key = dir.resolve("key.pem");
        this.cert = dir.resolve("cert.pem");
    }

    /** The identity kept in {@code dir}, made with openssl if it is not there yet. */
    static synchronized TlsIdentity in(Path dir) throws IOException {
        TlsIdentity id = new TlsIdentity(dir);
        if (Files.exists(id.key) && Files.exists(id.cert)) return id;
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path k = dir.resolve("key.tmp");
        Path c = dir.resolve("cert.tmp");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "3650", "-subj", "/CN=mosvm-page-server", "-keyout", k.toString(), "-out", c.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("cannot make the page-server certificate: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        Files.move(k, id.key, StandardCopyOption.ATOMIC_MOVE);
        Files.move(c, id.cert, StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    String certificatePem() throws IOException {
        return Files.readString(cert, StandardCharsets.US_ASCII);
    }

    /** Writes the other node's certificate (as received) to {@code file}, after a sanity check. */
    static Path writePeerCertificate(Path file, String pem) throws IOException {
        if (pem == null || !pem.startsWith(BEGIN) || pem.length() > 8192) throw new IOException("the peer sent no usable page-server certificate");
        Files.createDirectories(file.getParent());
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
        return file;
    }

    /** CRIU's options for a mutually authenticated page-server connection to or from the holder of {@code peerCert}. */
    List<String> criuOptions(Path peerCert) {
        // The peer is pinned by its certificate; its name is not a DNS name to check.
        return List.of("--tls", "--tls-cacert", peerCert.toString(), "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                "--tls-no-cn-verify");
    }
}

package dev.mosvm.api;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly one certificate. The agent's certificate is made by the manager for one
 * instance, so pinning it is stronger than hostname checks (the guest's DHCP address is
 * not known when the certificate is made), and those are deliberately not done.
 */
public final class PinnedCertificateTrust extends X509ExtendedTrustManager {
    private final X509Certificate pinned;
    private final String pinnedSha256;

    public PinnedCertificateTrust(X509Certificate pinned) {
        this.pinned = pinned;
        this.pinnedSha256 = null;
    }

    /** Trusts the certificate whose DER encoding has this SHA-256 (hex), as a join token names it. */
    public PinnedCertificateTrust(String sha256Hex) {
        this.pinned = null;
        this.pinnedSha256 = sha256Hex.toLowerCase(java.util.Locale.ROOT);
    }

    public static String sha256(X509Certificate cert) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static X509Certificate parsePem(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    public SSLContext sslContext() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, new TrustManager[] {this}, new SecureRandom());
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        boolean match = chain != null && chain.length > 0 && (pinned != null
                ? MessageDigest.isEqual(chain[0].getEncoded(), pinned.getEncoded())
                : MessageDigest.isEqual(sha256(chain[0]).getBytes(), pinnedSha256.getBytes()));
        if (!match) {
            throw new CertificateException("agent certificate does not match the one pinned for this instance");
        }
    }

    @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { check(chain); }
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException { check(chain); }
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException { check(chain); }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException { throw new CertificateException("client certificates are not used"); }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException { checkClientTrusted(chain, authType); }
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException { checkClientTrusted(chain, authType); }
    @Override public X509Certificate[] getAcceptedIssuers() { return pinned == null ? new X509Certificate[0] : new X509Certificate[] {pinned}; }
}

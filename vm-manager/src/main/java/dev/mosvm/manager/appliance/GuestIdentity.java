package dev.mosvm.manager.appliance;

import dev.mosvm.api.GuestConfig;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A new instance's credentials: a random 256-bit secret the agent demands on every request,
 * and a TLS key and self-signed certificate for the agent, which the host pins. Made on the
 * host and handed to the guest, so neither side trusts anything it did not receive at `up`.
 */
public record GuestIdentity(GuestConfig guestConfig, String certificatePem) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static GuestIdentity generate(String node) {
        try {
            byte[] secretBytes = new byte[32];
            RANDOM.nextBytes(secretBytes);
            String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);

            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair kp = kpg.generateKeyPair();
            X500Name subject = new X500Name("CN=mosvm-agent-" + node);
            Instant now = Instant.now();
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                    subject, new BigInteger(64, RANDOM), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(3650))), subject, kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));

            byte[] pwBytes = new byte[18];
            RANDOM.nextBytes(pwBytes);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(pwBytes);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("agent", kp.getPrivate(), password.toCharArray(), new Certificate[] {cert});
            ByteArrayOutputStream p12 = new ByteArrayOutputStream();
            ks.store(p12, password.toCharArray());

            StringWriter pem = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
                w.writeObject(cert);
            }
            GuestConfig cfg = new GuestConfig(node, secret, Base64.getEncoder().encodeToString(p12.toByteArray()), password);
            return new GuestIdentity(cfg, pem.toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate the instance's credentials: " + e, e);
        }
    }
}

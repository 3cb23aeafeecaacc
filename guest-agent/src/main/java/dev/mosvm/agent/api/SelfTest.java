package dev.mosvm.agent.api;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.GuestConfig;
import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

/**
 * The agent checks itself over loopback the way the host will: facts with the secret must
 * come back, a request without it must be refused. Run by the image build inside the new
 * root filesystem, so an agent that cannot start in the guest's JRE never ships, and the
 * run exercises the classes the class-data archive should hold.
 */
public final class SelfTest {
    private SelfTest() {}

    public static int run(GuestConfig cfg, int port) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] pw = cfg.tlsKeystorePassword().toCharArray();
        ks.load(new ByteArrayInputStream(Base64.getDecoder().decode(cfg.tlsKeystoreBase64())), pw);
        X509Certificate cert = (X509Certificate) ks.getCertificate(ks.aliases().nextElement());
        Duration t = Duration.ofSeconds(30);
        AgentFacts f = new AgentClient("127.0.0.1", port, cert, cfg.secret(), t).facts();
        if (f.cpus() < 1 || f.memTotalKb() <= 0) {
            System.out.println("self-test: FAILED: implausible facts " + f);
            return 1;
        }
        try {
            new AgentClient("127.0.0.1", port, cert, null, t).facts();
            System.out.println("self-test: FAILED: a request without the secret was answered");
            return 1;
        } catch (AgentException e) {
            if (!e.unauthorized()) throw e;
        }
        System.out.println("self-test: ok (facts answered, unauthenticated request refused)");
        return 0;
    }
}

package dev.mosvm.agent.cli;

import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.api.GuestConfigSource;
import dev.mosvm.api.AgentClient;
import dev.mosvm.api.CommandFailure;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.api.GuestConfig;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;

/**
 * The in-guest commands reach this appliance's agent as the host does: HTTPS on loopback,
 * its certificate pinned and the instance secret as bearer, both read from the fw_cfg entry
 * the host handed over (readable by root only, so these commands are root's).
 */
final class LocalAgent {
    /** The agent's job socket (any user may open it: mosrun, mosps, migrate). */
    static final Path JOBS_SOCKET = GuestLayout.JOBS_SOCKET;

    private LocalAgent() {}

    static AgentClient connect(Path config, int port) throws Exception {
        GuestConfig cfg;
        try {
            cfg = GuestConfigSource.load(config, 0);
        } catch (java.io.IOException e) {
            throw new CommandFailure(ExitCodes.ENVIRONMENT, e.getMessage() + (isRoot() ? "" : "; run as root"), null, e);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(Base64.getDecoder().decode(cfg.tlsKeystoreBase64())), cfg.tlsKeystorePassword().toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate(ks.aliases().nextElement());
        return new AgentClient("127.0.0.1", port, cert, cfg.secret(), Duration.ofSeconds(5));
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}

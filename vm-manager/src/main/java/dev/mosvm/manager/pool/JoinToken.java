package dev.mosvm.manager.pool;

import dev.mosvm.manager.MosvmException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What `pool init` prints and `join` takes: {@code mosvm1.POOL.SECRET.CERTSHA256}. The secret
 * admits a node; the hash pins the founding agent's TLS certificate, so a joiner cannot be
 * talked into a look-alike pool (kubeadm's discovery-token-ca-cert-hash, in one string).
 */
public record JoinToken(String pool, String secret, String certSha256) {
    private static final Pattern FORM = Pattern.compile("mosvm1\\.([a-z][a-z0-9-]{0,31})\\.([A-Za-z0-9_-]{16,64})\\.([0-9a-f]{64})");

    public static JoinToken parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw MosvmException.invalid("invalid join token: expected mosvm1.POOL.SECRET.HASH as printed by `mosvm pool init`");
        }
        return new JoinToken(m.group(1), m.group(2), m.group(3));
    }

    @Override
    public String toString() {
        return "mosvm1." + pool + "." + secret + "." + certSha256;
    }
}

package dev.mosvm.agent.api;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import dev.mosvm.api.AgentProtocol;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/** Admits only requests bearing the instance secret; counts and logs the rest. */
public final class SecretAuthenticator extends Authenticator {
    private static final Logger LOG = Logger.getLogger(SecretAuthenticator.class.getName());
    private final byte[] expected;
    final AtomicLong refused = new AtomicLong();

    SecretAuthenticator(String secret) {
        this.expected = (AgentProtocol.BEARER + secret).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(AgentProtocol.AUTH_HEADER);
        if (header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
            return new Success(new HttpPrincipal("host", "mosvm"));
        }
        refused.incrementAndGet();
        LOG.warning("refused " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                + " from " + exchange.getRemoteAddress().getAddress().getHostAddress()
                + (header == null ? ": no credentials" : ": wrong credentials"));
        return new Failure(401);
    }
}

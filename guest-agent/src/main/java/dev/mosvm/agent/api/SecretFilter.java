package dev.mosvm.agent.api;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.mosvm.agent.guard.LogThrottle;
import dev.mosvm.api.AgentProtocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Admits only requests bearing the instance secret; answers the rest 401 at once, counts them
 * and logs them (at most one line per interval, with the count since the last). A refused
 * request's body is never read: the JDK's own authenticator reads it all before answering, so
 * this runs as a filter ahead of it, and the connection closes instead of being drained
 * (AgentServer sets the server's drain amount to nothing).
 */
public final class SecretFilter extends Filter {
    private static final Logger LOG = Logger.getLogger(SecretFilter.class.getName());
    private final byte[] expected;
    private final LogThrottle log = LogThrottle.refusals();
    final AtomicLong refused = new AtomicLong();

    SecretFilter(String secret) {
        this.expected = (AgentProtocol.BEARER + secret).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String header = exchange.getRequestHeaders().getFirst(AgentProtocol.AUTH_HEADER);
        if (header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(exchange);
            return;
        }
        refused.incrementAndGet();
        long unlogged = log.event();
        if (unlogged >= 0) {
            LOG.warning("refused " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                    + " from " + exchange.getRemoteAddress().getAddress().getHostAddress()
                    + (header == null ? ": no credentials" : ": wrong credentials") + LogThrottle.since(unlogged));
        }
        try (exchange) {
            exchange.getResponseHeaders().set("Connection", "close");
            exchange.sendResponseHeaders(401, -1);
        }
    }

    @Override
    public String description() {
        return "the instance secret";
    }
}

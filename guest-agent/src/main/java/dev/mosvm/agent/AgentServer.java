package dev.mosvm.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The agent's HTTPS endpoint: TLS identity and secret from the {@link GuestConfig}. */
final class AgentServer {
    private static final Logger LOG = Logger.getLogger(AgentServer.class.getName());
    private final HttpsServer server;
    private final SecretAuthenticator auth;

    AgentServer(GuestConfig cfg, int port, FactsCollector facts, PowerControl power, PoolMembership pool) throws Exception {
        server = HttpsServer.create(new InetSocketAddress(port), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext(cfg)));
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "agent-http");
            t.setDaemon(true);
            return t;
        }));
        auth = new SecretAuthenticator(cfg.secret());
        server.createContext(AgentProtocol.FACTS, json("GET", ex -> facts.collect())).setAuthenticator(auth);
        server.createContext(AgentProtocol.SHUTDOWN, json("POST", ex -> {
            power.powerOffSoon();
            return java.util.Map.of("shutdown", "accepted");
        })).setAuthenticator(auth);
        server.createContext(AgentProtocol.NODES, json("GET", ex -> pool.view())).setAuthenticator(auth);
        server.createContext(AgentProtocol.LEAVE, json("POST", ex -> pool.leave())).setAuthenticator(auth);
    }

    void start() {
        server.start();
    }

    void stop() {
        server.stop(0);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static SSLContext sslContext(GuestConfig cfg) throws Exception {
        char[] pw = cfg.tlsKeystorePassword().toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(Base64.getDecoder().decode(cfg.tlsKeystoreBase64())), pw);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    interface Action {
        Object run(HttpExchange ex) throws Exception;
    }

    private static HttpHandler json(String method, Action action) {
        return ex -> {
            try (ex) {
                if (!method.equals(ex.getRequestMethod())) {
                    reply(ex, 405, "{\"error\":\"use " + method + "\"}");
                    return;
                }
                reply(ex, 200, Json.MAPPER.writeValueAsString(action.run(ex)));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "request " + ex.getRequestURI() + " failed", e);
                reply(ex, 500, Json.MAPPER.writeValueAsString(java.util.Map.of("error", String.valueOf(e.getMessage()))));
            }
        };
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}

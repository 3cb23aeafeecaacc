package dev.mosvm.agent.api;

import dev.mosvm.agent.jobs.PoolJobs;
import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.node.PowerControl;
import dev.mosvm.agent.pool.BalanceLoop;
import dev.mosvm.agent.pool.Membership;
import dev.mosvm.agent.pool.RecentMoves;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.BalanceState;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrationRequest;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.RemoveRequest;
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
public final class AgentServer {
    private static final Logger LOG = Logger.getLogger(AgentServer.class.getName());
    private final HttpsServer server;
    private final SecretAuthenticator auth;

    public AgentServer(GuestConfig cfg, int port, FactsCollector facts, PowerControl power, Membership pool) throws Exception {
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
        server.createContext(AgentProtocol.NODES, json("GET", ex -> {
            RecentMoves m = moves;
            return m == null ? pool.view() : pool.view().withMoves(m.latest());
        })).setAuthenticator(auth);
        server.createContext(AgentProtocol.BALANCE, ex -> {
            BalanceLoop b = balance;
            if (b == null) {
                json("GET", e -> { throw new IllegalStateException("this agent runs no jobs"); }).handle(ex);
            } else if ("POST".equals(ex.getRequestMethod())) {
                json("POST", e -> {
                    b.enabled(body(e, BalanceState.class).enabled());
                    return new BalanceState(cfg.node(), b.enabled());
                }).handle(ex);
            } else {
                json("GET", e -> new BalanceState(cfg.node(), b.enabled())).handle(ex);
            }
        }).setAuthenticator(auth);
        server.createContext(AgentProtocol.LEAVE, json("POST", ex -> pool.leave())).setAuthenticator(auth);
        server.createContext(AgentProtocol.POOL_INIT, json("POST", ex -> pool.init(body(ex, PoolInitRequest.class))))
                .setAuthenticator(auth);
        server.createContext(AgentProtocol.POOL_CONFIGURE, json("POST", ex -> pool.configure(body(ex, PoolMembership.class))))
                .setAuthenticator(auth);
        server.createContext(AgentProtocol.POOL_REMOVE, json("POST", ex -> pool.remove(body(ex, RemoveRequest.class))))
                .setAuthenticator(auth);
        // Joining nodes do not have this instance's secret: the join token's secret is checked instead.
        server.createContext(AgentProtocol.POOL_JOIN, json("POST", ex -> pool.admit(body(ex, JoinRequest.class))));
        // What mosps and migrate ask on the job socket, for the host (`mosvm ps`, `mosvm migrate`).
        server.createContext(AgentProtocol.JOBS, ownThread("api-jobs", json("GET", ex -> requireJobs().list())))
                .setAuthenticator(auth);
        server.createContext(AgentProtocol.MIGRATE, ownThread("api-migrate", json("POST", ex -> {
            MigrationRequest r = body(ex, MigrationRequest.class);
            try {
                // the host holds the instance secret: it moves any job, as root in the appliance does
                return requireJobs().migrate(r.job(), r.node(), 0, r.mode());
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e); // a move that cannot be made: 409 and why
            }
        }))).setAuthenticator(auth);
    }

    private volatile BalanceLoop balance;
    private volatile RecentMoves moves;
    private volatile PoolJobs poolJobs;

    /** The job service's parts the API serves, once it runs. */
    public void jobs(BalanceLoop b, RecentMoves m, PoolJobs j) {
        balance = b;
        moves = m;
        poolJobs = j;
    }

    private PoolJobs requireJobs() {
        PoolJobs j = poolJobs;
        if (j == null) throw new IllegalStateException("this agent runs no jobs");
        return j;
    }

    public void start() {
        server.start();
    }

    public void stop() {
        server.stop(0);
    }

    public int port() {
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

    /** At most this much request body is read: every request of the API is small. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    static <T> T body(HttpExchange ex, Class<T> type) throws IOException {
        byte[] b = ex.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
        if (b.length > MAX_BODY_BYTES) throw new IllegalArgumentException("request body too large");
        try {
            return Json.MAPPER.readValue(b, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed request: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    interface Action {
        Object run(HttpExchange ex) throws Exception;
    }

    private static HttpHandler json(String method, Action action) {
        return ex -> {
            // Not try-with-resources: that would close the exchange before a catch block can
            // send the error reply, and the client would see a dropped connection instead.
            try {
                if (!method.equals(ex.getRequestMethod())) {
                    reply(ex, 405, "{\"error\":\"use " + method + "\"}");
                    return;
                }
                reply(ex, 200, Json.MAPPER.writeValueAsString(action.run(ex)));
            } catch (SecurityException e) {
                reply(ex, 403, Json.MAPPER.writeValueAsString(java.util.Map.of("error", String.valueOf(e.getMessage()))));
            } catch (IllegalArgumentException | IllegalStateException e) {
                reply(ex, 409, Json.MAPPER.writeValueAsString(java.util.Map.of("error", String.valueOf(e.getMessage()))));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "request " + ex.getRequestURI() + " failed", e);
                reply(ex, 500, Json.MAPPER.writeValueAsString(java.util.Map.of("error", String.valueOf(e.getMessage()))));
            } finally {
                ex.close();
            }
        };
    }

    /**
     * Runs {@code handler} on a thread of its own, as the job socket serves each caller: a job
     * request waits on peers (a list up to 5 s, a move as long as it takes), and the API's two
     * threads stay free for facts, nodes and the rest meanwhile.
     */
    private static HttpHandler ownThread(String name, HttpHandler handler) {
        return ex -> {
            Thread t = new Thread(() -> {
                try {
                    handler.handle(ex);
                } catch (IOException e) {
                    LOG.fine("request " + ex.getRequestURI() + " ended: " + e);
                    ex.close();
                }
            }, name);
            t.setDaemon(true);
            t.start();
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

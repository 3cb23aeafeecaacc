package dev.mosvm.agent.api;

import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.jobs.PoolJobs;
import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.node.PowerControl;
import dev.mosvm.agent.pool.BalanceLoop;
import dev.mosvm.agent.pool.Membership;
import dev.mosvm.agent.pool.RecentMoves;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.mosvm.api.AdmittersRequest;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.BalanceState;
import dev.mosvm.api.CheckpointRequest;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.JoinTokenRequest;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The agent's HTTPS endpoint: TLS identity and secret from the {@link GuestConfig}.
 *
 * <p>Under abuse (bounds in {@link ServingLimits}): the JDK's server holds at most
 * {@link ServingLimits#API_CONNECTIONS} connections and closes any beyond at once; a connection
 * must finish its TLS handshake and request head within {@link ServingLimits#OPENING_MILLIS};
 * heads and bodies are bounded; a request without the secret is answered 401 without its body
 * being read ({@link SecretFilter}); at most {@link ServingLimits#API_THREADS} threads serve
 * requests, and at most {@link ServingLimits#API_LONG_REQUESTS} more those that wait on peers.
 */
public final class AgentServer {
    private static final Logger LOG = Logger.getLogger(AgentServer.class.getName());

    static {
        limitTheJdkServer();
    }

    /**
     * The JDK server's own bounds, which it reads from system properties once, when the first
     * server of the JVM starts (so here, before it). A value set on the command line stands.
     */
    static void limitTheJdkServer() {
        limit("jdk.httpserver.maxConnections", ServingLimits.API_CONNECTIONS);
        limit("sun.net.httpserver.maxIdleConnections", ServingLimits.API_IDLE_CONNECTIONS);
        limit("sun.net.httpserver.idleInterval", ServingLimits.API_IDLE_SECONDS);
        // a connection that has sent nothing is closed after min(maxReqTime, idleInterval); checked every clockTick ms
        limit("sun.net.httpserver.maxReqTime", ServingLimits.OPENING_MILLIS / 1000);
        limit("sun.net.httpserver.clockTick", 1000);
        limit("sun.net.httpserver.maxReqHeaders", ServingLimits.API_HEADERS);
        limit("sun.net.httpserver.maxReqHeaderSize", ServingLimits.API_HEADER_BYTES);
        // what a handler leaves unread is not read for it (the JDK drains 64 KiB): the connection closes instead
        limit("sun.net.httpserver.drainAmount", 0);
        // no maxRspTime: a move's answer comes when the move is done, minutes later under emulation
    }

    private static void limit(String property, long value) {
        if (System.getProperty(property) == null) System.setProperty(property, String.valueOf(value));
    }

    private final HttpsServer server;
    private final SecretFilter auth;
    /** Requests that wait on peers: each on a thread of its own, a few at once. */
    private final ThreadPoolExecutor longRequests = threads(ServingLimits.API_LONG_REQUESTS, "api-long");
    private final Semaphore longRequestPlaces = new Semaphore(ServingLimits.API_LONG_REQUESTS);

    /**
     * At most {@code n} threads, started as work comes and ended after 30 s without any, so
     * the idle agent keeps none; what waits for a thread is bounded by its caller.
     */
    private static ThreadPoolExecutor threads(int n, String name) {
        ThreadPoolExecutor t = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> daemon(r, name));
        t.allowCoreThreadTimeOut(true);
        return t;
    }

    public AgentServer(GuestConfig cfg, int port, FactsCollector facts, PowerControl power, Membership pool) throws Exception {
        server = HttpsServer.create(new InetSocketAddress(port), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(sslContext(cfg)));
        // exchanges waiting for a thread are bounded by the connections the server holds
        server.setExecutor(threads(ServingLimits.API_THREADS, "agent-http"));
        auth = new SecretFilter(cfg.secret());
        secured(AgentProtocol.FACTS, json("GET", ex -> facts.collect()));
        secured(AgentProtocol.SHUTDOWN, json("POST", ex -> {
            power.powerOffSoon();
            return java.util.Map.of("shutdown", "accepted");
        }));
        secured(AgentProtocol.NODES, json("GET", ex -> {
            RecentMoves m = moves;
            return m == null ? pool.view() : pool.view().withMoves(m.latest());
        }));
        secured(AgentProtocol.BALANCE, ex -> {
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
        });
        secured(AgentProtocol.LEAVE, json("POST", ex -> pool.leave()));
        secured(AgentProtocol.POOL_INIT, json("POST", ex -> pool.init(body(ex, PoolInitRequest.class))));
        secured(AgentProtocol.POOL_CONFIGURE, json("POST", ex -> pool.configure(body(ex, PoolMembership.class))));
        secured(AgentProtocol.POOL_REMOVE, json("POST", ex -> pool.remove(body(ex, RemoveRequest.class))));
        secured(AgentProtocol.POOL_TOKENS, json("POST", ex -> pool.tokens(body(ex, JoinTokenRequest.class))));
        secured(AgentProtocol.POOL_ADMITTERS, json("POST", ex -> pool.admitters(body(ex, AdmittersRequest.class))));
        // Joining nodes do not have this instance's secret: the join token's secret is checked instead.
        server.createContext(AgentProtocol.POOL_JOIN, json("POST", ex -> pool.admit(body(ex, JoinRequest.class))));
        // What mosps and migrate ask on the job socket, for the host (`mosvm ps`, `mosvm migrate`, `mosvm checkpoint`).
        secured(AgentProtocol.JOBS, ownThread(json("GET", ex -> requireJobs().list())));
        // the host holds the instance secret: it moves and checkpoints any job, as root in the appliance does
        secured(AgentProtocol.MIGRATE, ownThread(json("POST", ex -> {
            MigrationRequest r = body(ex, MigrationRequest.class);
            return refusable(() -> requireJobs().migrate(r.job(), r.node(), 0, r.mode()));
        })));
        secured(AgentProtocol.CHECKPOINT, ownThread(json("POST", ex -> {
            CheckpointRequest r = body(ex, CheckpointRequest.class);
            return refusable(() -> requireJobs().checkpoint(r.job(), 0));
        })));
    }

    /** A request of the job service, which refuses with a one-line reason. */
    private interface JobCall {
        Object run() throws IOException;
    }

    /** The job service's answer; its refusal (a move or a checkpoint that cannot be made) a 409 and why. */
    private static Object refusable(JobCall call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Serves {@code path} to requests bearing the instance secret only. */
    private HttpContext secured(String path, HttpHandler handler) {
        HttpContext c = server.createContext(path, handler);
        c.getFilters().add(auth);
        return c;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
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
        longRequests.shutdown();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests refused for lack of the instance secret. */
    long refusals() {
        return auth.refused.get();
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

    static <T> T body(HttpExchange ex, Class<T> type) throws IOException {
        byte[] b = ex.getRequestBody().readNBytes(ServingLimits.API_BODY_BYTES + 1);
        if (b.length > ServingLimits.API_BODY_BYTES) throw new IllegalArgumentException("request body too large");
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
                endOfEmptyBody(ex);
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
     * Reads the end of a request that declares no body, so its connection can serve the next
     * request: the server reads nothing for a handler (no drain), and closes a connection whose
     * request it has not seen the end of when the reply is sent.
     */
    private static void endOfEmptyBody(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (ex.getRequestHeaders().getFirst("Transfer-Encoding") == null && (length == null || length.strip().equals("0"))) {
            ex.getRequestBody().read(); // -1 at once
        }
    }

    /**
     * Runs {@code handler} on a thread of its own, as the job socket serves each caller: a job
     * request waits on peers (a list up to 5 s, a move or a checkpoint as long as it takes), and
     * the API's threads stay free for facts, nodes and the rest meanwhile. With
     * {@link ServingLimits#API_LONG_REQUESTS} under way, another is answered 503.
     */
    private HttpHandler ownThread(HttpHandler handler) {
        return ex -> {
            if (!longRequestPlaces.tryAcquire()) {
                try {
                    reply(ex, 503, "{\"error\":\"busy: " + ServingLimits.API_LONG_REQUESTS + " job requests are under way; try again\"}");
                } finally {
                    ex.close();
                }
                return;
            }
            try {
                longRequests.execute(() -> {
                    try {
                        handler.handle(ex);
                    } catch (IOException e) {
                        LOG.fine("request " + ex.getRequestURI() + " ended: " + e);
                        ex.close();
                    } finally {
                        longRequestPlaces.release();
                    }
                });
            } catch (RejectedExecutionException e) { // stopping
                longRequestPlaces.release();
                ex.close();
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

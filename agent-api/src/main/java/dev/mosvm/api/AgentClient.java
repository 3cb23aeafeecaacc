package dev.mosvm.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * Talks to one agent over HTTPS, pinning its certificate and sending the instance secret.
 * {@code secret == null} sends no credentials (used to prove the agent refuses them).
 */
public final class AgentClient {
    private final URI base;
    private final String secret;
    private final HttpClient http;
    private final Duration timeout;

    public AgentClient(String host, int port, X509Certificate agentCert, String secret, Duration timeout) {
        this(host, port, new PinnedCertificateTrust(agentCert), secret, timeout);
    }

    public AgentClient(String host, int port, PinnedCertificateTrust trust, String secret, Duration timeout) {
        this.base = URI.create("https://" + hostLiteral(host) + ":" + port);
        this.secret = secret;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .sslContext(trust.sslContext())
                .connectTimeout(timeout)
                .build();
    }

    private static String hostLiteral(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    public AgentFacts facts() throws AgentException {
        return Json.MAPPER.convertValue(readTree(send("GET", AgentProtocol.FACTS)), AgentFacts.class);
    }

    public void shutdown() throws AgentException {
        send("POST", AgentProtocol.SHUTDOWN);
    }

    public PoolView nodes() throws AgentException {
        return Json.MAPPER.convertValue(readTree(send("GET", AgentProtocol.NODES)), PoolView.class);
    }

    public BalanceState balance() throws AgentException {
        return Json.MAPPER.convertValue(readTree(send("GET", AgentProtocol.BALANCE)), BalanceState.class);
    }

    public BalanceState balance(boolean enabled) throws AgentException {
        return post(AgentProtocol.BALANCE, new BalanceState(null, enabled), BalanceState.class);
    }

    public void leavePool() throws AgentException {
        send("POST", AgentProtocol.LEAVE);
    }

    public PoolInitResponse initPool(PoolInitRequest req) throws AgentException {
        return post(AgentProtocol.POOL_INIT, req, PoolInitResponse.class);
    }

    public PoolMembership join(JoinRequest req) throws AgentException {
        return post(AgentProtocol.POOL_JOIN, req, PoolMembership.class);
    }

    public void configurePool(PoolMembership m) throws AgentException {
        post(AgentProtocol.POOL_CONFIGURE, m, Object.class);
    }

    public JoinTokenList tokens(JoinTokenRequest req) throws AgentException {
        return post(AgentProtocol.POOL_TOKENS, req, JoinTokenList.class);
    }

    public AdmittersList admitters(AdmittersRequest req) throws AgentException {
        return post(AgentProtocol.POOL_ADMITTERS, req, AdmittersList.class);
    }

    public RemoveResponse removeFromPool(String node) throws AgentException {
        return post(AgentProtocol.POOL_REMOVE, new RemoveRequest(node), RemoveResponse.class);
    }

    /** Every job in the pool, as `mosps` lists them. */
    public List<JobView> jobs() throws AgentException {
        return Json.MAPPER.convertValue(readTree(send("GET", AgentProtocol.JOBS)), new TypeReference<List<JobView>>() {});
    }

    /**
     * Moves a job while it runs; waits up to {@code wait} for the move to end (a large job
     * under emulation takes minutes), however short this client's other requests are.
     */
    public MigrationRecord migrate(MigrationRequest req, Duration wait) throws AgentException {
        return parse(send("POST", AgentProtocol.MIGRATE, json(req), wait), MigrationRecord.class);
    }

    /**
     * Takes a checkpoint of a running job now; waits up to {@code wait} for it (the job's memory
     * goes to its home's disk, which under emulation takes a while for a large job).
     */
    public CheckpointRecord checkpoint(String job, Duration wait) throws AgentException {
        return parse(send("POST", AgentProtocol.CHECKPOINT, json(new CheckpointRequest(job)), wait), CheckpointRecord.class);
    }

    private <T> T post(String path, Object body, Class<T> type) throws AgentException {
        return parse(send("POST", path, json(body)), type);
    }

    private static String json(Object body) {
        try {
            return Json.MAPPER.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + body + " as JSON", e);
        }
    }

    private static <T> T parse(String body, Class<T> type) throws AgentException {
        try {
            return Json.MAPPER.readValue(body, type);
        } catch (IOException e) {
            throw new AgentException("agent sent malformed JSON: " + e.getMessage(), -1, e);
        }
    }

    private Object readTree(String body) throws AgentException {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new AgentException("agent sent malformed JSON: " + e.getMessage(), -1, e);
        }
    }

    /** Sends one request; returns the body of a 2xx answer. */
    public String send(String method, String path) throws AgentException {
        return send(method, path, null);
    }

    public String send(String method, String path, String jsonBody) throws AgentException {
        return send(method, path, jsonBody, timeout);
    }

    private String send(String method, String path, String jsonBody, Duration wait) throws AgentException {
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path)).timeout(wait)
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) req.header("Content-Type", "application/json");
        if (secret != null) {
            req.header(AgentProtocol.AUTH_HEADER, AgentProtocol.BEARER + secret);
        }
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AgentException("agent at " + base + " unreachable: " + describe(e), -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted", -1, e);
        }
        if (resp.statusCode() / 100 != 2) {
            throw new AgentException("agent refused " + method + " " + path + ": HTTP " + resp.statusCode()
                    + (resp.body().isBlank() ? "" : " " + resp.body().strip()), resp.statusCode(), reason(resp.body()), null);
        }
        return resp.body();
    }

    /** The "error" line of a refusal's JSON body, or null if it has none. */
    private static String reason(String body) {
        try {
            JsonNode error = Json.MAPPER.readTree(body).get("error");
            return error != null && error.isTextual() ? error.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) root = root.getCause();
        String msg = root.getMessage();
        return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}

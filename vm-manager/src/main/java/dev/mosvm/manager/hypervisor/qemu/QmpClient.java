package dev.mosvm.manager.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mosvm.api.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One QMP session (QEMU's JSON control protocol, {@code qapi/control.json}): the server greets,
 * the client sends {@code qmp_capabilities}, then each command gets one {@code return} or
 * {@code error}, with asynchronous {@code event}s in between that are skipped. Every exchange
 * has a deadline: a QEMU that hangs does not hang the command asking it.
 */
public final class QmpClient implements AutoCloseable {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qmp-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final AutoCloseable connection;
    private final BufferedReader in;
    private final OutputStream out;
    private final Duration timeout;

    /** A QMP error reply: its class and description, as QEMU gave them. */
    public static final class QmpError extends IOException {
        public final String errorClass;

        QmpError(String errorClass, String desc) {
            super(desc + " (" + errorClass + ")");
            this.errorClass = errorClass;
        }
    }

    private QmpClient(AutoCloseable connection, java.io.InputStream in, OutputStream out, Duration timeout) {
        this.connection = connection;
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.out = out;
        this.timeout = timeout;
    }

    /** Connects to QEMU's control socket and completes the capabilities handshake. */
    public static QmpClient open(QemuCommandLine.Control control, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(control.unixSocket()));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        QmpClient c = new QmpClient(ch, Channels.newInputStream(ch), Channels.newOutputStream(ch), timeout);
        try {
            JsonNode greeting = c.readLine(System.nanoTime() + timeout.toNanos());
            if (!greeting.has("QMP")) throw new IOException("not a QMP greeting: " + greeting);
            c.execute("qmp_capabilities", null);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Runs {@code command} with {@code arguments} (or none) and returns its {@code return} value. */
    public JsonNode execute(String command, Map<String, Object> arguments) throws IOException {
        ObjectNode req = Json.MAPPER.createObjectNode().put("execute", command);
        if (arguments != null) req.set("arguments", Json.MAPPER.valueToTree(arguments));
        out.write((Json.MAPPER.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        long deadline = System.nanoTime() + timeout.toNanos(); // one for the whole command: events do not extend it
        while (true) {
            JsonNode reply = readLine(deadline);
            if (reply.has("return")) return reply.get("return");
            if (reply.has("error")) {
                JsonNode e = reply.get("error");
                throw new QmpError(e.path("class").asText("GenericError"), e.path("desc").asText("no description"));
            }
            // an event ({"event": ...}): not the answer
        }
    }

    /** One JSON line by {@code deadline} (System.nanoTime); past it the watchdog closes the connection, and the session is over. */
    private JsonNode readLine(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw timedOut();
        java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        ScheduledFuture<?> alarm = WATCHDOG.schedule(() -> {
            fired.set(true);
            closeQuietly();
        }, left, TimeUnit.NANOSECONDS);
        String line;
        try {
            line = in.readLine();
        } catch (IOException e) {
            throw fired.get() ? timedOut() : e;
        } finally {
            alarm.cancel(false);
        }
        if (fired.get()) throw timedOut(); // the line came as the alarm went: the connection is closed all the same
        if (line == null) throw new IOException("QEMU closed its control socket");
        return Json.MAPPER.readTree(line);
    }

    private IOException timedOut() {
        return new IOException("QEMU did not answer on its control socket in " + timeout.toSeconds() + " s");
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (Exception ignored) {
            // closing is all that is wanted
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}

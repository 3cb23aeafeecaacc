package dev.mosvm.agent.pool;

import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.timekeeping.PoolClockOffset;
import dev.mosvm.agent.timekeeping.PoolTime;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.logging.Logger;

/**
 * Keeps a member on the pool's time ({@link PoolTime}): every {@link #PERIOD_MILLIS} it asks
 * the member that admitted it (the seed its membership names) for the time, over the peer
 * channel, which proves the pool's key both ways, and moves {@link PoolClockOffset} by what it
 * finds; {@code ClockKeeper} then sets the clock. Gossip is not asked: its packets are refused
 * as stale while the clocks are far apart, which is what this repairs. While the admitter
 * cannot be reached the offset is kept, so the pool's time carries on from the hosts' clocks.
 */
final class PoolClockSync implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PoolClockSync.class.getName());
    static final long PERIOD_MILLIS = 30_000;
    private static final int CONNECT_TIMEOUT_MS = 5000;
    private static final int ANSWER_TIMEOUT_MS = 5000;

    private final String self;
    private final String admitterHost;
    private final int port;
    private final PoolKeys keys;
    private final PoolClockOffset offset;
    private String lastFailure;
    private Supervised task;
    /** Set once the member leaves or refounds: an exchange under way then must not move the offset. */
    private boolean closed;

    /** The admitter's name, which the peer channel must prove (null: whichever member answers there). */
    private final String admitter;

    PoolClockSync(String self, String admitterHost, int port, PoolKeys keys, PoolClockOffset offset) {
        this(self, null, admitterHost, port, keys, offset);
    }

    PoolClockSync(String self, String admitter, String admitterHost, int port, PoolKeys keys, PoolClockOffset offset) {
        this.admitter = admitter;
        this.self = self;
        this.admitterHost = admitterHost;
        this.port = port;
        this.keys = keys;
        this.offset = offset;
    }

    /** Follows the admitter at {@code admitterHost} from now on, or null for a founder (its host's time is the pool's). */
    static PoolClockSync start(String self, String admitter, String admitterHost, PoolKeys keys, PoolClockOffset offset) {
        if (admitterHost == null) return null;
        PoolClockSync s = new PoolClockSync(self, admitter, admitterHost, PeerDirectory.PORT, keys, offset);
        s.task = Supervised.periodic("pool-clock", 0, PERIOD_MILLIS, s::exchange);
        return s;
    }

    /** Stops following; returns once no exchange can move the offset any more. */
    @Override
    public synchronized void close() {
        closed = true;
        if (task != null) task.close();
    }

    /** One question to the admitter; the offset moves if the answer says this clock is off. */
    void exchange() throws IOException {
        java.util.OptionalLong applied = offset.applied();
        if (applied.isEmpty()) return; // a new offset is not on the clock yet: measuring now would count it twice
        long askedAt;
        long roundTrip;
        PeerRequest.TimeReply answer;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(admitterHost, port), CONNECT_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            try (PeerChannel ch = PeerChannel.connect(socket, keys, self, admitter)) {
                ch.readTimeout(ANSWER_TIMEOUT_MS);
                long t0 = Monotonic.millis();
                askedAt = System.currentTimeMillis();
                PeerRequest.write(ch.out, PeerRequest.time());
                Frame f = FrameCodec.read(ch.in);
                roundTrip = Monotonic.millis() - t0;
                if (f == null) throw new IOException("it closed the connection");
                if (f.type() == MessageType.ERROR) throw new IOException(f.text());
                answer = PeerRequest.TimeReply.of(f);
            }
        } catch (IOException e) {
            String why = "cannot ask " + admitterHost + " for the pool's time (" + e.getMessage() + "): the clock keeps its offset "
                    + String.format(Locale.ROOT, "%+.1f s", offset.millis() / 1000.0);
            if (!why.equals(lastFailure)) LOG.warning(why);
            lastFailure = why;
            return;
        }
        lastFailure = null;
        OptionalLong next = PoolTime.follow(applied.getAsLong(), askedAt, roundTrip, answer.millis());
        long error = PoolTime.errorMillis(askedAt, roundTrip, answer.millis());
        if (next.isEmpty()) {
            if (Math.abs(error) > PoolTime.TOLERANCE_MILLIS) {
                LOG.warning(String.format(Locale.ROOT, "the pool's time at %s is %+.1f s from this clock, but the answer is not followed "
                        + "(round trip %d ms, at most %d; offsets beyond %d h are refused)", admitterHost, error / 1000.0, roundTrip,
                        PoolTime.MAX_ROUND_TRIP_MILLIS, PoolTime.MAX_OFFSET_MILLIS / 3_600_000));
            }
            return;
        }
        synchronized (this) {
            if (closed) return;
            LOG.info(String.format(Locale.ROOT, "following the pool's time at %s: this clock was %.1f s %s it; the pool's time is now the host's %+.1f s",
                    admitterHost, Math.abs(error) / 1000.0, error > 0 ? "behind" : "ahead of", next.getAsLong() / 1000.0));
            offset.set(next.getAsLong());
        }
    }
}

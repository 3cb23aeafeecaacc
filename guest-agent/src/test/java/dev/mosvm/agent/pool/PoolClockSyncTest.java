package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.timekeeping.PoolClockOffset;
import dev.mosvm.agent.timekeeping.PoolTime;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A member asking a real peer channel on loopback for the pool's time, as it asks its admitter. */
class PoolClockSyncTest {
    @TempDir Path dir;
    final PoolKeys admitterKeys = LoopbackChannels.keys("admitter", 7, List.of());
    final PoolKeys memberKeys = LoopbackChannels.keys("member", 7, List.of());

    /** Serves one connection as the admitter would, answering with {@code answer} (given the request). */
    long askAdmitter(PoolKeys keys, PoolClockOffset offset, Function<PeerRequest, Object> answer) throws Exception {
        try (ServerSocket ss = new ServerSocket(0)) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (PeerChannel ch = PeerChannel.accept(ss.accept(), admitterKeys, "admitter")) {
                    Object a = answer.apply(PeerRequest.read(ch.in));
                    if (a instanceof PeerRequest.TimeReply t) FrameCodec.write(ch.out, t.frame());
                    else FrameCodec.writeText(ch.out, MessageType.ERROR, String.valueOf(a));
                } catch (Exception e) {
                    // a refused handshake ends here: the member sees a closed connection
                }
            });
            offset.markApplied(offset.millis()); // the clock keeper has put the clock on it
            new PoolClockSync("member", "127.0.0.1", ss.getLocalPort(), keys, offset).exchange();
            served.join();
        }
        return offset.millis();
    }

    @Test
    void aMemberNinetySecondsBehindItsAdmitterTakesItsTimeAndKeepsItInAFile() throws Exception {
        PoolClockOffset offset = PoolClockOffset.load(dir.resolve("pool-clock-offset"));
        long got = askAdmitter(memberKeys, offset, req -> {
            assertEquals(PeerRequest.Op.TIME, req.op());
            return new PeerRequest.TimeReply(System.currentTimeMillis() + 90_000);
        });
        assertTrue(Math.abs(got - 90_000) < 500, "offset " + got);
        assertEquals(got, PoolClockOffset.load(dir.resolve("pool-clock-offset")).millis(), "a restarted agent starts on it");
        assertEquals(got, askAdmitter(memberKeys, offset, req -> new PeerRequest.TimeReply(System.currentTimeMillis())),
                "an admitter that agrees with this clock (no keeper sets it in a test) leaves the offset as it is");
    }

    @Test
    void anAnswerThatIsNotATimeOrNoAnswerLeavesTheOffset() throws Exception {
        PoolClockOffset offset = PoolClockOffset.load(dir.resolve("o"));
        offset.set(-4_000);
        assertEquals(-4_000, askAdmitter(memberKeys, offset, req -> "unknown request \"time\""), "an older agent's ERROR");
        assertEquals(-4_000, askAdmitter(memberKeys, offset, req -> new PeerRequest.TimeReply(42)), "a time in 1970");
        assertEquals(-4_000, askAdmitter(memberKeys, offset,
                req -> new PeerRequest.TimeReply(System.currentTimeMillis() + PoolTime.MAX_OFFSET_MILLIS + 60_000)), "a day and more away");
        assertEquals(-4_000, askAdmitter(LoopbackChannels.keys("member", 9, List.of()), offset,
                req -> new PeerRequest.TimeReply(System.currentTimeMillis() + 90_000)), "an admitter without the pool's key is never asked");
        int closedPort;
        try (ServerSocket ss = new ServerSocket(0)) {
            closedPort = ss.getLocalPort();
        }
        new PoolClockSync("member", "127.0.0.1", closedPort, memberKeys, offset).exchange();
        assertEquals(-4_000, offset.millis(), "nobody there");
        offset.set(-9_000); // not yet on the clock: no exchange is made (it would count the change twice)
        try (ServerSocket ss = new ServerSocket(0)) {
            new PoolClockSync("member", "127.0.0.1", ss.getLocalPort(), memberKeys, offset).exchange(); // nobody accepts: it did not connect
        }
        assertEquals(-9_000, offset.millis());
        assertTrue(Files.readString(dir.resolve("o")).strip().equals("-9000"));
    }
}

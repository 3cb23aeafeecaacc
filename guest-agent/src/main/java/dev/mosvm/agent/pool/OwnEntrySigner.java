package dev.mosvm.agent.pool;

import dev.mosvm.agent.gossip.EntryProof;
import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.api.NodeInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Signs this node's own gossip entry. Receivers believe an entry no younger than the time
 * since its sequence was first seen, so the entry is signed anew at least twice an interval even
 * when nothing in it changed (an idle node would otherwise age into DEAD while it gossips).
 *
 * <p>The sequence must grow across restarts, or receivers take the new entries for replays of
 * old ones. The wall clock alone would not do (a host's clock can be stepped back), so a
 * reserve is kept in a file: every sequence is below the reserve written before it was used,
 * and a new run starts above the last reserve. The file is written about once a day.
 */
final class OwnEntrySigner implements EntryProof.Signer {
    private static final Logger LOG = Logger.getLogger(OwnEntrySigner.class.getName());
    /** How far ahead of the sequence in use the kept reserve runs: a day of milliseconds. */
    static final long RESERVE = 86_400_000L;
    private final NodeIdentity identity;
    private final long resignNanos;
    private final Path reserveFile;
    private final LongSupplier wallMillis;
    private final LongSupplier monoNanos;
    private NodeInfo lastInfo;
    private boolean lastLeft;
    private EntryProof last;
    private long signedAt;
    private long seq;
    private long reserve;

    /** @param reserveFile where the sequence reserve is kept (null: the wall clock's order only, as in tests) */
    OwnEntrySigner(NodeIdentity identity, long intervalMillis, Path reserveFile, LongSupplier wallMillis, LongSupplier monoNanos) {
        this.identity = identity;
        this.resignNanos = intervalMillis * 1_000_000L / 2;
        this.reserveFile = reserveFile;
        this.wallMillis = wallMillis;
        this.monoNanos = monoNanos;
        this.seq = readReserve(reserveFile);
        this.reserve = seq;
    }

    private static long readReserve(Path file) {
        if (file == null || !Files.isRegularFile(file)) return 0;
        try {
            return Math.max(0, Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            LOG.warning("cannot read the gossip sequence reserve in " + file + " (" + e.getMessage() + "): starting from the wall clock");
            return 0;
        }
    }

    @Override
    public synchronized EntryProof sign(NodeInfo info, boolean left) {
        long now = monoNanos.getAsLong();
        if (last != null && left == lastLeft && info.equals(lastInfo) && now - signedAt < resignNanos) return last;
        seq = Math.max(seq + 1, wallMillis.getAsLong());
        if (reserveFile != null && seq >= reserve) keepReserve(seq + RESERVE);
        last = new EntryProof(seq, identity.sign(GossipCodec.signedBytes(info, left, seq)));
        lastInfo = info;
        lastLeft = left;
        signedAt = now;
        return last;
    }

    private void keepReserve(long next) {
        try {
            Path tmp = reserveFile.resolveSibling(reserveFile.getFileName() + ".tmp");
            Files.writeString(tmp, next + "\n");
            Files.move(tmp, reserveFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            reserve = next;
        } catch (IOException e) {
            reserve = seq + 60_000; // try again in a minute's worth of sequence
            LOG.warning("cannot keep the gossip sequence reserve in " + reserveFile + ": " + e + " (after a restart with the clock set back, peers may take this node's entries for old ones)");
        }
    }
}

package dev.mosvm.agent.net;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals gossip payloads into authenticated, encrypted datagrams and opens them, refusing
 * forgeries and replays. Format (header authenticated as AES-GCM associated data):
 * <pre>
 *   'M' 'S' version:u8 keyId:u8 nonce:12 | AES-256-GCM( senderLen:u8 sender boot:u64 seq:u64 timeMillis:u64 payload ) tag:16
 * </pre>
 * Replays: per sender and boot, a 64-packet sliding window over sequence numbers (as IPsec
 * does); a packet from an older boot, or whose time is further than {@code maxSkewMillis} from
 * ours, is stale. A node that restarts picks a new random boot id, so its sequence restarts
 * safely.
 */
public final class PacketSealer {
    public static final byte VERSION = 1;
    public static final int MAX_PACKET_BYTES = 65_507;
    static final int HEADER = 4 + 12;
    static final int TAG_BITS = 128;
    static final int WINDOW = 64;

    private final String self;
    private final Keyring keys;
    private final DropCounters drops;
    private final LongSupplier clock;
    private final long maxSkewMillis;
    private final long boot;
    private long seq;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, ReplayWindow> windows = new HashMap<>();

    /** A payload that passed every check, and who sent it. */
    public record Opened(String sender, int keyId, byte[] payload) {}

    public PacketSealer(String self, Keyring keys, DropCounters drops, LongSupplier wallClockMillis, long maxSkewMillis) {
        this.self = self;
        this.keys = keys;
        this.drops = drops;
        this.clock = wallClockMillis;
        this.maxSkewMillis = maxSkewMillis;
        this.boot = random.nextLong();
    }

    public byte[] seal(byte[] payload) {
        return seal(payload, keys.primaryId());
    }

    /** Sealed under a given installed key (a rekey goes out under the key its member still has). */
    public synchronized byte[] seal(byte[] payload, int keyId) {
        byte[] id = self.getBytes(StandardCharsets.UTF_8);
        ByteBuffer plain = ByteBuffer.allocate(1 + id.length + 24 + payload.length);
        plain.put((byte) id.length).put(id).putLong(boot).putLong(++seq).putLong(clock.getAsLong()).put(payload);
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(HEADER + plain.capacity() + TAG_BITS / 8);
        out.put((byte) 'M').put((byte) 'S').put(VERSION).put((byte) keyId).put(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, keys.key(keyId), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(out.array(), 0, HEADER);
            out.put(c.doFinal(plain.array()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
        if (out.position() > MAX_PACKET_BYTES) throw new IllegalArgumentException("payload too large for one datagram");
        return out.array();
    }

    /** The payload, or null if the packet was dropped (and counted). Never throws for bad input. */
    public synchronized Opened open(byte[] packet, int length) {
        if (length > MAX_PACKET_BYTES) return drop(DropCounters.Reason.OVERSIZED);
        if (length < HEADER + TAG_BITS / 8 + 1 + 24 || packet[0] != 'M' || packet[1] != 'S' || packet[2] != VERSION) {
            return drop(DropCounters.Reason.MALFORMED);
        }
        int keyId = Byte.toUnsignedInt(packet[3]);
        var key = keys.key(keyId);
        if (key == null) return drop(DropCounters.Reason.UNAUTHENTICATED);
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, packet, 4, 12));
            c.updateAAD(packet, 0, HEADER);
            plain = c.doFinal(packet, HEADER, length - HEADER);
        } catch (GeneralSecurityException e) {
            return drop(DropCounters.Reason.UNAUTHENTICATED);
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(plain);
            byte[] id = new byte[Byte.toUnsignedInt(in.get())];
            in.get(id);
            String sender = new String(id, StandardCharsets.UTF_8);
            long senderBoot = in.getLong();
            long senderSeq = in.getLong();
            long time = in.getLong();
            if (Math.abs(clock.getAsLong() - time) > maxSkewMillis) return drop(DropCounters.Reason.STALE);
            ReplayWindow w = windows.computeIfAbsent(sender, s -> new ReplayWindow());
            DropCounters.Reason refused = w.accept(senderBoot, senderSeq, time);
            if (refused != null) return drop(refused);
            byte[] payload = new byte[in.remaining()];
            in.get(payload);
            return new Opened(sender, keyId, payload);
        } catch (BufferUnderflowException e) {
            return drop(DropCounters.Reason.MALFORMED); // authentic but malformed: a bug on the sender's side
        }
    }

    private Opened drop(DropCounters.Reason r) {
        drops.count(r);
        return null;
    }

    /** Highest sequence seen from one sender's current boot, and which of the 64 below it arrived. */
    static final class ReplayWindow {
        private long boot;
        private long bootTime = Long.MIN_VALUE;
        private long highest;
        private long seen; // bit i: highest - i arrived

        DropCounters.Reason accept(long senderBoot, long s, long time) {
            if (bootTime == Long.MIN_VALUE || (senderBoot != boot && time > bootTime)) {
                boot = senderBoot; // first packet, or the sender restarted
                bootTime = time;
                highest = s;
                seen = 1;
                return null;
            }
            if (senderBoot != boot) return DropCounters.Reason.STALE; // an older boot's packet
            if (s > highest) {
                long shift = s - highest;
                seen = shift >= WINDOW ? 1 : (seen << shift) | 1;
                highest = s;
                return null;
            }
            long back = highest - s;
            if (back >= WINDOW) return DropCounters.Reason.REPLAYED; // too old to tell: refuse
            long bit = 1L << back;
            if ((seen & bit) != 0) return DropCounters.Reason.REPLAYED;
            seen |= bit;
            return null;
        }
    }
}

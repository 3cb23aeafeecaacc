package dev.mosvm.agent.net;

import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.gossip.GossipCodec.MalformedMessageException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The pool authority handing one member the pool's new gossip key. Travels on the gossip
 * channel (sealed under a key the member still has, which a removed node may also hold), so
 * everything that matters is inside or bound to the envelope, sealed under the member's own
 * node key. Big-endian:
 * <pre>
 *   'M' 'K' version:u8 authority:str member:str epoch:u32 keyId:u8 count:u16 revoked:str*count envelope:60
 * </pre>
 * Everything before the envelope is its associated data, so a forged revoked list or epoch
 * fails to open.
 */
public record RekeyMessage(String authority, String member, int epoch, int keyId, List<String> revoked, byte[] envelope) {
    static final byte VERSION = 1;
    public static final int ENVELOPE_BYTES = KeyEnvelope.BYTES;
    static final int MAX_REVOKED = 1024;

    public RekeyMessage {
        revoked = List.copyOf(revoked);
    }

    /** Whether a sealed payload is a rekey message rather than gossip. */
    public static boolean is(byte[] payload) {
        return payload.length >= 2 && payload[0] == 'M' && payload[1] == 'K';
    }

    /** The bytes the envelope is bound to: the whole message up to the envelope. */
    byte[] header() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 16 * revoked.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('K');
            out.writeByte(VERSION);
            GossipCodec.str(out, authority);
            GossipCodec.str(out, member);
            out.writeInt(epoch);
            out.writeByte(keyId);
            if (revoked.size() > MAX_REVOKED) throw new IllegalArgumentException("too many removed nodes");
            out.writeShort(revoked.size());
            for (String r : revoked) GossipCodec.str(out, r);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
        return bytes.toByteArray();
    }

    public byte[] encode() {
        byte[] h = header();
        return ByteBuffer.allocate(h.length + envelope.length).put(h).put(envelope).array();
    }

    public static RekeyMessage decode(byte[] data) throws MalformedMessageException {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            if (in.get() != 'M' || in.get() != 'K') throw new MalformedMessageException("bad magic");
            if (in.get() != VERSION) throw new MalformedMessageException("unsupported rekey version");
            String authority = GossipCodec.nodeId(in);
            String member = GossipCodec.nodeId(in);
            int epoch = in.getInt();
            if (epoch <= 0) throw new MalformedMessageException("bad epoch");
            int keyId = Byte.toUnsignedInt(in.get());
            int count = Short.toUnsignedInt(in.getShort());
            if (count > MAX_REVOKED) throw new MalformedMessageException("too many removed nodes");
            List<String> revoked = new ArrayList<>(count);
            for (int i = 0; i < count; i++) revoked.add(GossipCodec.nodeId(in));
            if (in.remaining() != ENVELOPE_BYTES) throw new MalformedMessageException("bad envelope length");
            byte[] envelope = new byte[ENVELOPE_BYTES];
            in.get(envelope);
            return new RekeyMessage(authority, member, epoch, keyId, revoked, envelope);
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("truncated");
        }
    }
}

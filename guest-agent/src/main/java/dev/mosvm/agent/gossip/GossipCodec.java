package dev.mosvm.agent.gossip;

import dev.mosvm.api.Endpoint;
import dev.mosvm.api.NodeInfo;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The gossip wire format, in one place. Big-endian:
 * <pre>
 *   'M' 'G' version:u8 kind:u8 sender:str count:u16 entry*count      (kind: GossipMessage.Kind)
 *   entry = info ageMillis:u32 flags:u8 [seq:u64 signature:64 if flags has PROOF]
 *   info  = id:str address:str port:u16 cpus:u16 speed:f32 load:f32 freeMemKb:u32 jobs:u16 workDone:f32 endpoint:str
 *   str   = length:u8 utf8-bytes
 * </pre>
 * An entry's proof ({@link EntryProof}) signs {@link #signedBytes}: 'M' 'G' 'S' version, the
 * info as above, whether the node left (u8) and seq; the age is outside it (it grows as the
 * entry travels).
 * Every field is range-checked on decode and trailing bytes are an error: a malformed message
 * is rejected whole with a {@link MalformedMessageException}, never half-applied. An empty
 * endpoint is none (a pool without an overlay); another must be a valid HOST:PORT.
 * Message types and flag bits: only append.
 */
public final class GossipCodec {
    private GossipCodec() {}

    /** 2 added workDone (the balancer weighs it), 3 entries' proofs, 4 the overlay endpoint; nodes of one pool run one image, so one version. */
    public static final byte VERSION = 4;
    static final int FLAG_LEFT = 1;
    static final int FLAG_PROOF = 2;
    /**
     * A message is cut at this many bytes (entries beyond go in the next part, or wait for the
     * next interval): signed entries are about 130 bytes, so a window of 1,024 would not fit a datagram.
     */
    public static final int MAX_PART_BYTES = 60_000;

    /** Fits one UDP datagram. */
    public static final int MAX_MESSAGE_BYTES = 65_507;
    public static final int MAX_ENTRIES = 1024;
    static final int MAX_STRING_BYTES = 64;
    static final long MAX_AGE_MILLIS = 0xFFFF_FFFFL;
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** A message that is not a valid gossip message; the reason names the first problem. */
    public static final class MalformedMessageException extends Exception {
        public MalformedMessageException(String reason) {
            super(reason);
        }
    }

    public static byte[] encode(GossipMessage m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 60 * m.entries().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('G');
            out.writeByte(VERSION);
            out.writeByte(m.kind().code);
            str(out, m.sender());
            if (m.entries().size() > MAX_ENTRIES) throw new IllegalArgumentException("too many entries");
            out.writeShort(m.entries().size());
            for (WireEntry e : m.entries()) {
                info(out, e.info());
                out.writeInt((int) Math.min(Math.max(0, e.ageMillis()), MAX_AGE_MILLIS));
                out.writeByte((e.left() ? FLAG_LEFT : 0) | (e.proof() != null ? FLAG_PROOF : 0));
                if (e.proof() != null) {
                    out.writeLong(e.proof().seq());
                    out.write(e.proof().signature());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
        if (bytes.size() > MAX_MESSAGE_BYTES) throw new IllegalArgumentException("message exceeds " + MAX_MESSAGE_BYTES + " bytes");
        return bytes.toByteArray();
    }

    private static void info(DataOutputStream out, NodeInfo i) throws IOException {
        str(out, i.id());
        str(out, i.address());
        out.writeShort(i.port());
        out.writeShort(Math.min(i.cpus(), 0xFFFF));
        out.writeFloat((float) i.speed());
        out.writeFloat((float) i.load());
        out.writeInt((int) Math.min(i.freeMemKb(), 0xFFFF_FFFFL));
        out.writeShort(Math.min(i.jobs(), 0xFFFF));
        out.writeFloat((float) i.workDone());
        str(out, i.endpoint() == null ? "" : i.endpoint());
    }

    /** What a node's proof of its entry signs: the info as the wire carries it, whether it left, and the sequence. */
    public static byte[] signedBytes(NodeInfo info, boolean left, long seq) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('G');
            out.writeByte('S');
            out.writeByte(VERSION);
            info(out, info);
            out.writeByte(left ? 1 : 0);
            out.writeLong(seq);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
        return bytes.toByteArray();
    }

    /** The encoded size, without encoding (the simulator counts traffic with it). */
    public static int encodedSize(GossipMessage m) {
        int size = headerSize(m.sender());
        for (WireEntry e : m.entries()) size += entrySize(e);
        return size;
    }

    static int headerSize(String sender) {
        return 4 + 1 + utf8Length(sender) + 2;
    }

    /** One entry's encoded size. */
    public static int entrySize(WireEntry e) {
        return 1 + utf8Length(e.info().id()) + 1 + utf8Length(e.info().address()) + 2 + 2 + 4 + 4 + 4 + 2 + 4
                + 1 + (e.info().endpoint() == null ? 0 : utf8Length(e.info().endpoint())) + 4 + 1
                + (e.proof() != null ? 8 + EntryProof.SIGNATURE_BYTES : 0);
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    public static GossipMessage decode(byte[] data) throws MalformedMessageException {
        if (data.length > MAX_MESSAGE_BYTES) throw new MalformedMessageException("oversized: " + data.length + " bytes");
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            if (in.get() != 'M' || in.get() != 'G') throw new MalformedMessageException("bad magic");
            byte version = in.get();
            if (version != VERSION) throw new MalformedMessageException("unsupported version " + version);
            byte type = in.get();
            GossipMessage.Kind kind = GossipMessage.Kind.of(type);
            if (kind == null) throw new MalformedMessageException("unknown message kind " + type);
            String sender = nodeId(in);
            int count = Short.toUnsignedInt(in.getShort());
            if (count > MAX_ENTRIES) throw new MalformedMessageException("too many entries: " + count);
            List<WireEntry> entries = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                String id = nodeId(in);
                String address = str(in);
                int port = Short.toUnsignedInt(in.getShort());
                int cpus = Short.toUnsignedInt(in.getShort());
                float speed = in.getFloat();
                float load = in.getFloat();
                long freeMem = Integer.toUnsignedLong(in.getInt());
                int jobs = Short.toUnsignedInt(in.getShort());
                float workDone = in.getFloat();
                String endpoint = str(in);
                if (endpoint.isEmpty()) endpoint = null;
                else if (Endpoint.parseOrNull(endpoint) == null) throw new MalformedMessageException("entry " + k + ": invalid endpoint");
                long age = Integer.toUnsignedLong(in.getInt());
                int flags = Byte.toUnsignedInt(in.get());
                if (!Float.isFinite(speed) || speed < 0 || !Float.isFinite(load) || load < 0 || !Float.isFinite(workDone) || workDone < 0) {
                    throw new MalformedMessageException("entry " + k + ": speed/load/work out of range");
                }
                if ((flags & ~(FLAG_LEFT | FLAG_PROOF)) != 0) throw new MalformedMessageException("entry " + k + ": unknown flags " + flags);
                if (address.isEmpty()) throw new MalformedMessageException("entry " + k + ": empty address");
                EntryProof proof = null;
                if ((flags & FLAG_PROOF) != 0) {
                    long seq = in.getLong();
                    if (seq < 0) throw new MalformedMessageException("entry " + k + ": negative sequence");
                    byte[] sig = new byte[EntryProof.SIGNATURE_BYTES];
                    in.get(sig);
                    proof = new EntryProof(seq, sig);
                }
                entries.add(new WireEntry(new NodeInfo(id, address, port, cpus, speed, load, freeMem, jobs, workDone, endpoint), age, (flags & FLAG_LEFT) != 0, proof));
            }
            if (in.hasRemaining()) throw new MalformedMessageException(in.remaining() + " trailing bytes");
            if (!entries.isEmpty() && !entries.get(0).info().id().equals(sender)) {
                throw new MalformedMessageException("first entry is not the sender's");
            }
            return new GossipMessage(sender, kind, entries);
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("truncated");
        }
    }

    /** A length-prefixed UTF-8 string (shared with the other messages on the pool channel). */
    public static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING_BYTES) throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes: " + s);
        out.writeByte(b.length);
        out.write(b);
    }

    public static String str(ByteBuffer in) throws MalformedMessageException {
        int len = Byte.toUnsignedInt(in.get());
        if (len > MAX_STRING_BYTES) throw new MalformedMessageException("string of " + len + " bytes");
        byte[] b = new byte[len];
        in.get(b);
        String s = new String(b, StandardCharsets.UTF_8);
        if (!java.util.Arrays.equals(s.getBytes(StandardCharsets.UTF_8), b)) throw new MalformedMessageException("invalid UTF-8");
        return s;
    }

    /** A string that must be a valid node id. */
    public static String nodeId(ByteBuffer in) throws MalformedMessageException {
        String id = str(in);
        if (!NODE_ID.matcher(id).matches()) throw new MalformedMessageException("invalid node id");
        return id;
    }
}

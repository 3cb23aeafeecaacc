package dev.mosvm.agent.net;

import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.gossip.GossipCodec.MalformedMessageException;
import dev.mosvm.agent.identity.MemberCertificate;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Members' certificates on the gossip channel: a node that hears entries of members whose keys
 * it lacks asks the node it heard them from, which believed them and so holds the certificates.
 * Nothing in the answer is taken on the answerer's word: each certificate is checked against the
 * pool's authority. Big-endian:
 * <pre>
 *   ask    = 'M' 'C' 'Q' version:u8 replyAddress:str replyPort:u16 count:u8 node:str*count
 *   answer = 'M' 'C' 'A' version:u8 count:u8 (length:u16 certificate)*count
 * </pre>
 * The reply address is the asker's gossip address (a joiner may not be on the answerer's board yet).
 */
public sealed interface CertificateExchange {
    byte VERSION = 1;
    /** Per message: an ask names at most this many members, an answer carries at most this many certificates (about 6 kB). */
    int MAX_ITEMS = 32;
    /** A reply address is an IPv4 or IPv6 literal: a name would be looked up on the gossip thread. */
    java.util.regex.Pattern IP_LITERAL = java.util.regex.Pattern.compile("[0-9.]{7,15}|[0-9a-fA-F:]{2,39}");

    record Ask(String replyAddress, int replyPort, List<String> nodes) implements CertificateExchange {
        public Ask {
            nodes = List.copyOf(new java.util.LinkedHashSet<>(nodes)); // a name asked twice is answered once
            if (nodes.isEmpty() || nodes.size() > MAX_ITEMS) throw new IllegalArgumentException("an ask names 1 to " + MAX_ITEMS + " members");
        }
    }

    record Answer(List<byte[]> certificates) implements CertificateExchange {
        public Answer {
            certificates = List.copyOf(certificates);
            if (certificates.size() > MAX_ITEMS) throw new IllegalArgumentException("an answer carries at most " + MAX_ITEMS + " certificates");
        }
    }

    /** Whether a sealed payload is a certificate exchange rather than gossip. */
    static boolean is(byte[] payload) {
        return payload.length >= 3 && payload[0] == 'M' && payload[1] == 'C' && (payload[2] == 'Q' || payload[2] == 'A');
    }

    static byte[] encode(CertificateExchange m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('M');
            out.writeByte('C');
            if (m instanceof Ask a) {
                out.writeByte('Q');
                out.writeByte(VERSION);
                GossipCodec.str(out, a.replyAddress());
                out.writeShort(a.replyPort());
                out.writeByte(a.nodes().size());
                for (String n : a.nodes()) GossipCodec.str(out, n);
            } else if (m instanceof Answer a) {
                out.writeByte('A');
                out.writeByte(VERSION);
                out.writeByte(a.certificates().size());
                for (byte[] c : a.certificates()) {
                    if (c.length > MemberCertificate.MAX_BYTES) throw new IllegalArgumentException("not a certificate: " + c.length + " bytes");
                    out.writeShort(c.length);
                    out.write(c);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
        return bytes.toByteArray();
    }

    static CertificateExchange decode(byte[] data) throws MalformedMessageException {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            if (in.get() != 'M' || in.get() != 'C') throw new MalformedMessageException("bad magic");
            byte kind = in.get();
            if (in.get() != VERSION) throw new MalformedMessageException("unsupported certificate exchange version");
            CertificateExchange m;
            if (kind == 'Q') {
                String address = GossipCodec.str(in);
                if (!IP_LITERAL.matcher(address).matches()) throw new MalformedMessageException("an ask whose reply address is not an IP address");
                int port = Short.toUnsignedInt(in.getShort());
                if (port == 0) throw new MalformedMessageException("an ask without a reply port");
                int count = Byte.toUnsignedInt(in.get());
                if (count == 0 || count > MAX_ITEMS) throw new MalformedMessageException("an ask for " + count + " members");
                List<String> nodes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) nodes.add(GossipCodec.nodeId(in));
                m = new Ask(address, port, nodes);
            } else if (kind == 'A') {
                int count = Byte.toUnsignedInt(in.get());
                if (count > MAX_ITEMS) throw new MalformedMessageException("an answer of " + count + " certificates");
                List<byte[]> certs = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int length = Short.toUnsignedInt(in.getShort());
                    if (length > MemberCertificate.MAX_BYTES) throw new MalformedMessageException("a certificate of " + length + " bytes");
                    byte[] c = new byte[length];
                    in.get(c);
                    certs.add(c);
                }
                m = new Answer(certs);
            } else {
                throw new MalformedMessageException("unknown certificate exchange kind " + kind);
            }
            if (in.hasRemaining()) throw new MalformedMessageException(in.remaining() + " trailing bytes");
            return m;
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("truncated");
        }
    }
}

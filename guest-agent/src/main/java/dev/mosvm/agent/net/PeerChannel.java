package dev.mosvm.agent.net;

import dev.mosvm.agent.guard.Deadline;
import dev.mosvm.agent.identity.Ed25519;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.MemberCheck;
import dev.mosvm.agent.identity.MemberCredentials;
import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.wire.Protocol;
import dev.mosvm.agent.wire.WireLimits;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The agents' channel to each other (jobs' output, migration images, pool-wide job lists):
 * a TCP connection on which both ends first prove they hold a current pool gossip key, then
 * every record is AES-256-GCM sealed under a per-connection, per-direction key, and the first
 * record each way says the sender's {@link Protocol} version.
 *
 * <p>Handshake: the client sends magic, key id, its node name and a nonce; the server answers
 * with its nonce and HMAC(key, "server" | transcript); the client answers with
 * HMAC(key, "client" | transcript). Session keys are HMAC(key, direction | transcript), so
 * each connection has fresh keys and the GCM nonce can be a plain record counter. A node
 * removed from the pool never learns the rotated key, so it cannot connect or be connected.
 *
 * <p>Identity: the pool key proves membership, not which member. Behind its proof each side
 * shows its {@link MemberCertificate} and its Ed25519 signature over the transcript, and each
 * checks the other's: issued by this pool's authority, for the name the peer claims, not of a
 * removed member. So {@link #peer()} is the member at the other end, and whatever is decided
 * on it (whose job a copy is, who may seal a checkpoint) cannot be claimed by another member.
 *
 * <p>Versions: the server seals its VERSION frame right behind its proof, the client its own
 * right behind its proof, so the exchange costs no round trip; each side refuses a peer of
 * another version with a {@link dev.mosvm.agent.wire.ProtocolMismatchException} naming both.
 */
public final class PeerChannel implements AutoCloseable {
    static final byte[] MAGIC = "MOSVMP2\n".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 32;
    /** Largest sealed record: one frame's payload plus room for its header and the GCM tag. */
    private static final int MAX_RECORD = WireLimits.MAX_FRAME_PAYLOAD + 64;
    /** A handshake's whole exchange, either side: a peer that is slower (however it paces its bytes) is dropped. */
    private static final int HANDSHAKE_TIMEOUT_MS = (int) ServingLimits.OPENING_MILLIS;
    /** The handshake's own writes: a hello, or a proof with a certificate and a signature. */
    private static final int HANDSHAKE_BUFFER = 640;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final String peer;
    public final DataInputStream in;
    public final DataOutputStream out;

    /**
     * @param handshakeIn the stream the handshake was read through: it may already hold the
     *                    start of the first records (a client writes its request right after its
     *                    proof, and a busy server reads both at once), so records are read on from it
     */
    private PeerChannel(Socket socket, InputStream handshakeIn, String peer, byte[] readKey, SealedOutput sealedOut) {
        this.socket = socket;
        this.peer = peer;
        this.in = new DataInputStream(new BufferedInputStream(new OpenedInput(handshakeIn, readKey), 1 << 16));
        this.out = new DataOutputStream(new BufferedOutputStream(sealedOut, 1 << 16));
    }

    /** The address the other end reaches this node at (where this side's bulk servers listen). */
    public java.net.InetAddress localAddress() {
        return socket.getLocalAddress();
    }

    /** The other end's address. */
    public java.net.InetAddress remoteAddress() {
        return socket.getInetAddress();
    }

    /** The member at the other end, as its certificate and signature proved. */
    public String peer() {
        return peer;
    }


    /** Connects to a peer agent as {@code self}, proving the pool's primary key and its identity. */
    public static PeerChannel connect(Socket socket, PoolKeys keys, String self) throws IOException {
        return connect(socket, keys, self, null, Protocol.VERSION);
    }

    /**
     * As {@link #connect(Socket, PoolKeys, String)}, to member {@code expected}: another member
     * answering at its address (it moved, or lies) is refused before this side proves anything.
     */
    public static PeerChannel connect(Socket socket, PoolKeys keys, String self, String expected) throws IOException {
        return connect(socket, keys, self, expected, Protocol.VERSION);
    }

    /** As {@link #connect(Socket, PoolKeys, String, String)}, speaking protocol {@code version} (tests speak others). */
    static PeerChannel connect(Socket socket, PoolKeys keys, String self, String expected, int version) throws IOException {
        try {
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            PeerChannel c = handshakeAsClient(socket, keys, self, expected, version);
            socket.setSoTimeout(0);
            return c;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static PeerChannel handshakeAsClient(Socket socket, PoolKeys keys, String self, String expected, int version) throws IOException {
        MemberCredentials me = credentials(keys);
        Keyring ring = keys.ring();
        int keyId = ring.primaryId();
        byte[] key = ring.raw(keyId);
        byte[] nonceC = random();
        DataOutputStream o = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), HANDSHAKE_BUFFER));
        DataInputStream i = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        o.write(MAGIC);
        o.writeByte(keyId);
        o.writeUTF(self);
        o.write(nonceC);
        o.flush();
        byte[] nonceS = i.readNBytes(NONCE);
        String server = readNodeName(i);
        byte[] proof = i.readNBytes(32);
        if (nonceS.length != NONCE || proof.length != 32) throw new IOException("the peer closed the handshake");
        byte[] transcript = transcript(keyId, self, server, nonceC, nonceS);
        if (!MessageDigest.isEqual(proof, mac(key, "server", transcript))) {
            throw new IOException("peer " + server + " does not hold this pool's key");
        }
        checkIdentity(i, me.check(), server, "server", transcript);
        if (expected != null && !expected.equals(server)) throw new IOException("the member answering there is " + server + ", not " + expected);
        if (keys.revoked(server)) throw new IOException("peer " + server + " was removed from the pool");
        o.write(mac(key, "client", transcript));
        showIdentity(o, me, "client", transcript);
        o.flush();
        PeerChannel c = new PeerChannel(socket, i, server, mac(key, "s2c", transcript),
                new SealedOutput(socket.getOutputStream(), mac(key, "c2s", transcript)));
        Protocol.sendVersion(c.out, version);
        Protocol.checkPeerVersion(c.in, server, version);
        return c;
    }

    /**
     * Accepts a peer's connection as {@code self}: the client must use a key this node holds
     * and has not retired, and must not be a removed node. Throws on any failure.
     */
    public static PeerChannel accept(Socket socket, PoolKeys keys, String self) throws IOException {
        return accept(socket, keys, self, Protocol.VERSION);
    }

    /** As {@link #accept(Socket, PoolKeys, String)}, speaking protocol {@code version} (tests speak others). */
    static PeerChannel accept(Socket socket, PoolKeys keys, String self, int version) throws IOException {
        return accept(socket, keys, self, version, HANDSHAKE_TIMEOUT_MS);
    }

    /**
     * As {@link #accept(Socket, PoolKeys, String, int)}, with the whole handshake due within
     * {@code deadlineMillis}: the socket is closed then, however the client paces its bytes.
     */
    static PeerChannel accept(Socket socket, PoolKeys keys, String self, int version, long deadlineMillis) throws IOException {
        Deadline deadline = Deadline.closing(socket, deadlineMillis);
        try (deadline) {
            socket.setSoTimeout((int) deadlineMillis);
            PeerChannel c = handshakeAsServer(socket, keys, self, version);
            socket.setSoTimeout(0);
            deadline.check("the handshake");
            return c;
        } catch (IOException | RuntimeException e) {
            socket.close();
            deadline.check("the handshake");
            throw e;
        }
    }

    /**
     * The server's side. Nothing sized by the client is allocated before its key proof checks
     * out: the node name it claims is read only up to a node name's length, and the channel's
     * buffers are made after the proof (this side's VERSION record goes out ahead of the proof,
     * as before, through a buffer of a few bytes).
     */
    private static PeerChannel handshakeAsServer(Socket socket, PoolKeys keys, String self, int version) throws IOException {
        MemberCredentials me = credentials(keys);
        DataOutputStream o = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), HANDSHAKE_BUFFER));
        DataInputStream i = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        byte[] magic = i.readNBytes(MAGIC.length);
        if (!MessageDigest.isEqual(magic, MAGIC)) throw new IOException("not a mosvm peer");
        int keyId = i.readUnsignedByte();
        String client = readNodeName(i);
        byte[] nonceC = i.readNBytes(NONCE);
        Keyring ring = keys.ring();
        byte[] key = ring.has(keyId) && !ring.retired(keyId) ? ring.raw(keyId) : null;
        if (key == null || nonceC.length != NONCE) throw new IOException("peer " + client + " offered key " + keyId + ", not a current pool key");
        if (keys.revoked(client)) throw new IOException("peer " + client + " was removed from the pool");
        byte[] nonceS = random();
        byte[] transcript = transcript(keyId, client, self, nonceC, nonceS);
        o.write(nonceS);
        o.writeUTF(self);
        o.write(mac(key, "server", transcript));
        showIdentity(o, me, "server", transcript);
        o.flush();
        SealedOutput sealedOut = new SealedOutput(socket.getOutputStream(), mac(key, "s2c", transcript));
        // sealed: only a holder of the key reads it; one frame, so a buffer of one frame's size
        Protocol.sendVersion(new DataOutputStream(new BufferedOutputStream(sealedOut, WireLimits.FRAME_HEADER_BYTES + 4)), version);
        byte[] proof = i.readNBytes(32);
        if (!MessageDigest.isEqual(proof, mac(key, "client", transcript))) throw new IOException("peer " + client + " failed the key proof");
        checkIdentity(i, me.check(), client, "client", transcript);
        PeerChannel c = new PeerChannel(socket, i, client, mac(key, "c2s", transcript), sealedOut);
        Protocol.checkPeerVersion(c.in, client, version);
        return c;
    }

    private static MemberCredentials credentials(PoolKeys keys) throws IOException {
        try {
            return keys.credentials();
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** This side's certificate and its signature over the transcript, as {@code role}. */
    private static void showIdentity(DataOutputStream o, MemberCredentials me, String role, byte[] transcript) throws IOException {
        byte[] certificate = me.certificate();
        o.writeShort(certificate.length);
        o.write(certificate);
        o.write(me.identity().sign(signed(role, transcript)));
    }

    /**
     * Reads the other side's certificate and signature and checks both: a peer whose key proof
     * checked out still has to be the member it says it is.
     */
    private static void checkIdentity(DataInputStream i, MemberCheck check, String peer, String role, byte[] transcript) throws IOException {
        int length = i.readUnsignedShort();
        if (length > MemberCertificate.MAX_BYTES) throw new IOException("peer " + peer + " shows a certificate of " + length + " bytes");
        byte[] certificate = i.readNBytes(length);
        byte[] signature = i.readNBytes(Ed25519.SIGNATURE_BYTES);
        if (certificate.length != length || signature.length != Ed25519.SIGNATURE_BYTES) throw new EOFException("the peer closed the handshake");
        MemberCertificate c;
        try {
            c = check.check(certificate, peer);
        } catch (SecurityException e) {
            throw new IOException("peer " + peer + " is not a member it can prove to be: " + e.getMessage());
        }
        if (!MemberCheck.signedBy(c, signed(role, transcript), signature)) {
            throw new IOException("peer " + peer + " shows " + peer + "'s certificate without its key");
        }
    }

    private static byte[] signed(String role, byte[] transcript) {
        byte[] label = ("mosvm peer v2 identity " + role + "\0").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(label.length + transcript.length).put(label).put(transcript).array();
    }

    /**
     * A node name as {@code writeUTF} sends it, refused unless it is no longer than a node name
     * can be: before the key proof, a peer's declared length must not size what is allocated.
     */
    private static String readNodeName(DataInputStream in) throws IOException {
        int length = in.readUnsignedShort();
        if (length > WireLimits.MAX_NODE_ID_BYTES) throw new IOException("a node name of " + length + " bytes: not a mosvm peer");
        byte[] name = in.readNBytes(length);
        if (name.length != length) throw new EOFException("the peer closed the handshake");
        return new String(name, StandardCharsets.UTF_8);
    }

    private static byte[] transcript(int keyId, String client, String server, byte[] nonceC, byte[] nonceS) {
        byte[] c = client.getBytes(StandardCharsets.UTF_8);
        byte[] s = server.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 4 + c.length + 4 + s.length + 2 * NONCE).put((byte) keyId)
                .putInt(c.length).put(c).putInt(s.length).put(s).put(nonceC).put(nonceS).array();
    }

    private static byte[] mac(byte[] key, String label, byte[] transcript) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(("mosvm peer v1 " + label + "\0").getBytes(StandardCharsets.UTF_8));
            return m.doFinal(transcript);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] random() {
        byte[] b = new byte[NONCE];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Cipher gcm(int mode, SecretKeySpec key, long counter) throws IOException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, key, new GCMParameterSpec(128, ByteBuffer.allocate(12).putLong(4, counter).array()));
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM unavailable", e);
        }
    }

    /** Seals whatever is written between flushes as one record: u32 length, then ciphertext and tag. */
    private static final class SealedOutput extends OutputStream {
        private final DataOutputStream raw;
        private final SecretKeySpec key;
        private long counter;

        SealedOutput(OutputStream raw, byte[] key) {
            this.raw = new DataOutputStream(raw);
            this.key = new SecretKeySpec(key, "AES");
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        /** Reused for every record: the agent's heap is small, and megabyte records would churn it. */
        private byte[] sealed = new byte[0];

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, MAX_RECORD - 64);
                try {
                    if (sealed.length < n + 16) sealed = new byte[n + 16];
                    int m = gcm(Cipher.ENCRYPT_MODE, key, counter++).doFinal(b, off, n, sealed, 0);
                    raw.writeInt(m);
                    raw.write(sealed, 0, m);
                } catch (GeneralSecurityException e) {
                    throw new IOException("cannot seal a record", e);
                }
                off += n;
                len -= n;
            }
            raw.flush();
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }

    /** Opens records in order; a forged, reordered or truncated record ends the stream with an error. */
    private static final class OpenedInput extends InputStream {
        private final DataInputStream raw;
        private final SecretKeySpec key;
        private long counter;
        /** Reused buffers (see SealedOutput): the record as read, and what it opened to. */
        private byte[] sealed = new byte[0];
        private byte[] buffer = new byte[0];
        private int pos;
        private int limit;

        OpenedInput(InputStream raw, byte[] key) {
            this.raw = new DataInputStream(raw);
            this.key = new SecretKeySpec(key, "AES");
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (pos == limit) {
                if (!nextRecord()) return -1;
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buffer, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean nextRecord() throws IOException {
            int length;
            try {
                length = raw.readInt();
            } catch (EOFException e) {
                return false;
            }
            if (length < 16 || length > MAX_RECORD) throw new IOException("bad record length " + length);
            if (sealed.length < length) {
                sealed = new byte[length];
                buffer = new byte[length];
            }
            raw.readFully(sealed, 0, length);
            try {
                limit = gcm(Cipher.DECRYPT_MODE, key, counter++).doFinal(sealed, 0, length, buffer, 0);
            } catch (GeneralSecurityException e) {
                throw new IOException("a record failed authentication");
            }
            pos = 0;
            return true;
        }
    }

    /**
     * Bounds each read from now on to {@code millis} (0: reads wait as long as it takes): a read
     * that waits longer fails with a {@link java.net.SocketTimeoutException}, and the channel is
     * of no further use (a record may have been cut). A migration's steps set what is left of
     * theirs, at least a millisecond once it has passed.
     */
    public void readTimeout(long millis) throws IOException {
        socket.setSoTimeout(millis <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, millis));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

package dev.mosvm.agent.gossip;

/**
 * A node's signature over its own entry: {@code seq} grows with every entry it signs, and the
 * signature (Ed25519, by the node's identity key) covers the entry's load vector, whether it
 * left, and {@code seq} ({@link GossipCodec#signedBytes}). Forwarders pass it on untouched, so
 * an entry is believed only as its node said it, and a newer one replaces an older one only if
 * the node signed it.
 */
public record EntryProof(long seq, byte[] signature) {
    public static final int SIGNATURE_BYTES = 64;

    public EntryProof {
        if (seq < 0) throw new IllegalArgumentException("negative sequence");
        if (signature == null || signature.length != SIGNATURE_BYTES) throw new IllegalArgumentException("a signature is 64 bytes");
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    boolean sameSignature(EntryProof o) {
        return java.util.Arrays.equals(signature, o.signature);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EntryProof p && p.seq == seq && sameSignature(p);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + java.util.Arrays.hashCode(signature);
    }

    /** Signs a node's own entry; the agent's uses its identity key, the simulator none. */
    public interface Signer {
        EntryProof sign(dev.mosvm.api.NodeInfo info, boolean left);
    }
}

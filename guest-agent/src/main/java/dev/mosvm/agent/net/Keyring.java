package dev.mosvm.agent.net;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pool's gossip keys (AES-256). Packets are sealed with the primary key and opened with
 * any key still installed, so a new key can be rolled out before the old one is dropped;
 * removing a node from the pool means installing a new primary it never receives.
 */
public final class Keyring {
    private final Map<Integer, SecretKey> keys = new LinkedHashMap<>();
    private int primary = -1;

    public synchronized void install(int id, byte[] key) {
        if (id < 0 || id > 255) throw new IllegalArgumentException("key id must fit a byte");
        if (key.length != 32) throw new IllegalArgumentException("gossip keys are 256-bit");
        keys.put(id, new SecretKeySpec(Arrays.copyOf(key, 32), "AES"));
        if (primary < 0) primary = id;
    }

    public synchronized void usePrimary(int id) {
        if (!keys.containsKey(id)) throw new IllegalArgumentException("no key " + id);
        primary = id;
    }

    public synchronized void remove(int id) {
        if (id == primary) throw new IllegalArgumentException("cannot remove the primary key");
        keys.remove(id);
    }

    synchronized int primaryId() {
        if (primary < 0) throw new IllegalStateException("no gossip key installed");
        return primary;
    }

    synchronized SecretKey key(int id) {
        return keys.get(id);
    }
}

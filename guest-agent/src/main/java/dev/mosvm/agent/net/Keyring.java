package dev.mosvm.agent.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pool's gossip keys (AES-256). Packets are sealed with the primary key and opened with
 * any key still installed, so a new key can be rolled out before the old one is dropped.
 * A retired key still opens packets, but what it opens is not trusted as gossip: the pool
 * authority keeps old keys that way to recognise members that missed a rotation.
 */
public final class Keyring {
    private final Map<Integer, SecretKey> keys = new LinkedHashMap<>();
    private final Set<Integer> retired = new HashSet<>();
    private int primary = -1;

    public synchronized void install(int id, byte[] key) {
        if (id < 0 || id > 255) throw new IllegalArgumentException("key id must fit a byte");
        if (key.length != 32) throw new IllegalArgumentException("gossip keys are 256-bit");
        keys.put(id, new SecretKeySpec(Arrays.copyOf(key, 32), "AES"));
        retired.remove(id);
        if (primary < 0) primary = id;
    }

    public synchronized void usePrimary(int id) {
        if (!keys.containsKey(id)) throw new IllegalArgumentException("no key " + id);
        primary = id;
        retired.remove(id);
    }

    public synchronized void remove(int id) {
        if (id == primary) throw new IllegalArgumentException("cannot remove the primary key");
        keys.remove(id);
        retired.remove(id);
    }

    public synchronized void retire(int id) {
        if (id == primary) throw new IllegalArgumentException("cannot retire the primary key");
        if (keys.containsKey(id)) retired.add(id);
    }

    public synchronized boolean retired(int id) {
        return retired.contains(id);
    }

    public synchronized boolean has(int id) {
        return keys.containsKey(id);
    }

    /** Installed key ids, oldest first. */
    public synchronized List<Integer> ids() {
        return new ArrayList<>(keys.keySet());
    }

    synchronized byte[] raw(int id) {
        SecretKey k = keys.get(id);
        return k == null ? null : k.getEncoded();
    }

    public synchronized int primaryId() {
        if (primary < 0) throw new IllegalStateException("no gossip key installed");
        return primary;
    }

    synchronized SecretKey key(int id) {
        return keys.get(id);
    }
}

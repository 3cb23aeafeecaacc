package dev.mosvm.agent.pool;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.agent.identity.RootOnlyFile;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The founder's record of whom it admitted: each member's name, identity key and the join token
 * it came with. Removing a member looks it up here, so the removal also revokes that token (a
 * multi-use token cannot bring the member back under another name) and refuses the member's key
 * for good. Kept root-only beside the membership, so it outlives the agent.
 */
final class AdmittedMembers {
    private static final Logger LOG = Logger.getLogger(AdmittedMembers.class.getName());

    /** One admission, as kept on disk; {@code key} is the identity key in base64. */
    /** {@code overlayAddress}: its seat on the pool's overlay (null in a pool without one). */
    record Entry(String node, String key, String token, long admittedAt, boolean removed, String overlayAddress) {}

    private final Path file;
    private final List<Entry> entries = new ArrayList<>();
    /** Why the kept record could not be read, or null: admissions and removals then stop rather than overwrite it. */
    private String unreadable;

    private AdmittedMembers(Path file) {
        this.file = file;
    }

    /**
     * The record in {@code file}, or an empty one if there is none or it cannot be read (said in
     * the log: removals then revoke names and keys only, not the tokens used).
     */
    static AdmittedMembers load(Path file) {
        AdmittedMembers a = new AdmittedMembers(file);
        try {
            if (Files.isRegularFile(file)) a.entries.addAll(Json.MAPPER.readValue(file.toFile(), new TypeReference<List<Entry>>() {}));
        } catch (IOException e) {
            a.unreadable = "the record of admitted members in " + file + " cannot be read (" + e.getMessage().lines().findFirst().orElse("")
                    + "); move it aside to start a new one (removed members' keys would then be forgotten)";
            LOG.severe(a.unreadable);
        }
        return a;
    }

    /** The removed member whose identity key {@code key} was, or null. */
    synchronized String removedWithKey(String key) {
        for (Entry e : entries) if (e.removed() && e.key().equals(key)) return e.node();
        return null;
    }

    /** The member other than {@code node} admitted with identity key {@code key} and not removed, or null. */
    synchronized String otherWithKey(String key, String node) {
        for (Entry e : entries) if (!e.removed() && e.key().equals(key) && !e.node().equals(node)) return e.node();
        return null;
    }

    /** Whether {@code node} was admitted and not removed (it may never have come up). */
    synchronized boolean has(String node) {
        for (Entry e : entries) if (!e.removed() && e.node().equals(node)) return true;
        return false;
    }

    /** The overlay seat {@code node} was given last, or null: a member joining again keeps its address. */
    synchronized String overlayAddressOf(String node) {
        String a = null;
        for (Entry e : entries) if (e.node().equals(node) && !e.removed() && e.overlayAddress() != null) a = e.overlayAddress();
        return a;
    }

    /** Every overlay address ever given, removed members' too (never given again). */
    synchronized List<String> overlayAddresses() {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) if (e.overlayAddress() != null) out.add(e.overlayAddress());
        return out;
    }

    /** Records an admission before the joiner is answered: a removal must be able to find it. */
    synchronized void admitted(String node, String key, String token, long nowSeconds, String overlayAddress) throws IOException {
        if (unreadable != null) throw new IOException(unreadable);
        List<Entry> after = new ArrayList<>(entries);
        after.add(new Entry(node, key, token, nowSeconds, false, overlayAddress));
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(after));
        entries.clear();
        entries.addAll(after);
    }

    /** Marks every admission of {@code node} removed; returns the tokens they came with. */
    synchronized List<String> removed(String node) throws IOException {
        if (unreadable != null) throw new IOException(unreadable);
        List<String> tokens = new ArrayList<>();
        List<Entry> after = new ArrayList<>();
        for (Entry e : entries) {
            if (e.node().equals(node) && !e.removed()) {
                tokens.add(e.token());
                after.add(new Entry(e.node(), e.key(), e.token(), e.admittedAt(), true, e.overlayAddress()));
            } else {
                after.add(e);
            }
        }
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(after));
        entries.clear();
        entries.addAll(after);
        return tokens;
    }

    /** Forgotten with the pool (a founder leaving it, or founding a new one). */
    synchronized void clear() throws IOException {
        entries.clear();
        unreadable = null;
        Files.deleteIfExists(file);
    }
}

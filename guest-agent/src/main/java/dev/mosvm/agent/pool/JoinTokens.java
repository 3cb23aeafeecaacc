package dev.mosvm.agent.pool;

import dev.mosvm.agent.identity.RootOnlyFile;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.api.JoinTokenList;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The founder's join tokens: each admits a number of nodes (one unless the founder says more)
 * until it expires or is revoked. Only a token's SHA-256 is kept, in a root-only file beside the
 * pool's membership, so the tokens outlive the agent and a reading of the file admits nobody.
 * A token is named by the first 12 hex digits of that hash, which is what lists and revocations use.
 */
final class JoinTokens {
    /** At most this many live tokens: a founder's workstation is not a token mint for anyone who asks. */
    static final int MAX_LIVE = 100;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(JoinTokens.class.getName());

    /** One live token, as kept on disk. */
    record Entry(String id, String sha256, long expiresAt, int usesLeft) {}

    private final Path file;
    private final LongSupplier clockMillis;
    private final List<Entry> entries = new ArrayList<>();

    private JoinTokens(Path file, LongSupplier clockMillis) {
        this.file = file;
        this.clockMillis = clockMillis;
    }

    /**
     * The tokens kept in {@code file}: none if there is no file, or if it cannot be read (said in
     * the log: the founder issues new ones; an agent must start whatever its files hold).
     */
    static JoinTokens load(Path file, LongSupplier clockMillis) {
        JoinTokens t = new JoinTokens(file, clockMillis);
        try {
            if (Files.isRegularFile(file)) t.entries.addAll(Json.MAPPER.readValue(file.toFile(), new TypeReference<List<Entry>>() {}));
        } catch (IOException e) {
            LOG.warning("cannot read the join tokens in " + file + " (" + e.getMessage() + "): none is live; issue new ones with mosvm pool token create");
        }
        return t;
    }

    /** A new token's secret; throws IllegalArgumentException for uses or a lifetime out of bounds. */
    synchronized String issue(int uses, long ttlSeconds) throws IOException {
        if (uses < 1 || uses > JoinTokenRequest.MAX_USES) throw new IllegalArgumentException("a token admits 1 to " + JoinTokenRequest.MAX_USES + " nodes, not " + uses);
        if (ttlSeconds < JoinTokenRequest.MIN_TTL_SECONDS || ttlSeconds > JoinTokenRequest.MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("a token lives " + JoinTokenRequest.MIN_TTL_SECONDS / 60 + " min to "
                    + JoinTokenRequest.MAX_TTL_SECONDS / 86400 + " days, not " + ttlSeconds + " s");
        }
        prune();
        if (entries.size() >= MAX_LIVE) throw new IllegalStateException(MAX_LIVE + " join tokens are live; revoke some first (mosvm pool token revoke)");
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        String hash = sha256(secret);
        entries.add(new Entry(hash.substring(0, 12), hash, now() + ttlSeconds, uses));
        save();
        return secret;
    }

    /** The id of the live token {@code secret} is, or null (wrong, used up, expired or revoked). Uses nothing. */
    synchronized String check(String secret) {
        if (secret == null) return null;
        byte[] hash = sha256(secret).getBytes(StandardCharsets.US_ASCII);
        long now = now();
        String found = null;
        for (Entry e : entries) { // every entry compared, in constant time each
            if (MessageDigest.isEqual(hash, e.sha256().getBytes(StandardCharsets.US_ASCII)) && e.expiresAt() >= now && e.usesLeft() > 0) found = e.id();
        }
        return found;
    }

    /** One use of token {@code id}, kept before it counts (a use that cannot be saved is not spent); a token with none left is gone. */
    synchronized void use(String id) throws IOException {
        List<Entry> after = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.id().equals(id)) after.add(e);
            else if (e.usesLeft() > 1) after.add(new Entry(e.id(), e.sha256(), e.expiresAt(), e.usesLeft() - 1));
        }
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(after));
        entries.clear();
        entries.addAll(after);
    }

    /** Whether token {@code id} was live and is now revoked. */
    synchronized boolean revoke(String id) throws IOException {
        boolean removed = entries.removeIf(e -> e.id().equals(id));
        if (removed) save();
        return removed;
    }

    synchronized List<JoinTokenList.Token> live() throws IOException {
        if (prune()) save();
        return entries.stream().map(e -> new JoinTokenList.Token(e.id(), e.expiresAt(), e.usesLeft())).toList();
    }

    /** Every token gone (a founder leaving its pool, or founding a new one). */
    synchronized void clear() throws IOException {
        entries.clear();
        Files.deleteIfExists(file);
    }

    private boolean prune() {
        long now = now();
        return entries.removeIf(e -> e.expiresAt() < now);
    }

    private long now() {
        return clockMillis.getAsLong() / 1000;
    }

    private void save() throws IOException {
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(entries));
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

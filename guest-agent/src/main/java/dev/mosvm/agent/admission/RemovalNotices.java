package dev.mosvm.agent.admission;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.agent.identity.RevokeNotice;
import dev.mosvm.agent.identity.RootOnlyFile;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An admitter's removals still on their way: each notice and the members not yet told. Once the
 * founder has one, it is done: the founder's key rotation names the removed member to everyone,
 * including members that were off. Kept root-only beside the membership, so a restart goes on telling.
 */
public final class RemovalNotices {
    /** A notice (base64) and whom it still goes to. */
    public record Pending(String notice, List<String> waiting) {
        public Pending {
            waiting = waiting == null ? List.of() : List.copyOf(waiting);
        }

        public RevokeNotice decoded() {
            return RevokeNotice.decode(Base64.getDecoder().decode(notice));
        }
    }

    private final Path file;
    private final List<Pending> pending = new ArrayList<>();

    private RemovalNotices(Path file) {
        this.file = file;
    }

    public static RemovalNotices load(Path file) throws IOException {
        RemovalNotices n = new RemovalNotices(file);
        if (Files.isRegularFile(file)) n.pending.addAll(Json.MAPPER.readValue(file.toFile(), new TypeReference<List<Pending>>() {}));
        return n;
    }

    /** {@code notice} goes to {@code recipients} (the founder among them). */
    public synchronized void add(RevokeNotice notice, List<String> recipients) throws IOException {
        pending.add(new Pending(Base64.getEncoder().encodeToString(notice.encode()), recipients));
        save();
    }

    public synchronized List<Pending> pending() {
        return List.copyOf(pending);
    }

    /** {@code recipient} has the notice that removes {@code removed}; {@code founder}: it was the founder, so the notice is done. */
    public synchronized void delivered(String removed, String recipient, boolean founder) throws IOException {
        List<Pending> next = new ArrayList<>();
        for (Pending p : pending) {
            if (!p.decoded().node().equals(removed)) {
                next.add(p);
                continue;
            }
            if (founder) continue;
            List<String> waiting = new ArrayList<>(p.waiting());
            waiting.remove(recipient);
            if (!waiting.isEmpty()) next.add(new Pending(p.notice(), waiting));
        }
        pending.clear();
        pending.addAll(next);
        save();
    }

    public synchronized void clear() throws IOException {
        pending.clear();
        Files.deleteIfExists(file);
    }

    private void save() throws IOException {
        if (pending.isEmpty()) Files.deleteIfExists(file);
        else RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(pending));
    }
}

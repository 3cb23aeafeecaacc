package dev.mosvm.agent.admission;

import dev.mosvm.agent.identity.RootOnlyFile;
import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The founder's record of the members it named admitters, and the numbers it gave them. A
 * number is never given twice, even after its admitter is withdrawn: the joiners it seated
 * in 10.77.N.0/24 keep those addresses. Kept root-only beside the membership.
 */
public final class Admitters {
    /** The record on disk: the admitters now, and the last number ever given. */
    record Kept(List<AdmittersList.Admitter> admitters, int last) {
        Kept {
            admitters = admitters == null ? List.of() : List.copyOf(admitters);
        }
    }

    private final Path file;
    private final List<AdmittersList.Admitter> named = new ArrayList<>();
    private int last;

    private Admitters(Path file) {
        this.file = file;
    }

    /** The record in {@code file}, or an empty one; a record that cannot be read is an error (numbers could be given twice). */
    public static Admitters load(Path file) throws IOException {
        Admitters a = new Admitters(file);
        if (Files.isRegularFile(file)) {
            Kept k = Json.MAPPER.readValue(file.toFile(), Kept.class);
            a.named.addAll(k.admitters());
            a.last = k.last();
        }
        return a;
    }

    public synchronized List<AdmittersList.Admitter> list() {
        return List.copyOf(named);
    }

    /** {@code node}'s number, or 0 if it is no admitter. */
    public synchronized int numberOf(String node) {
        for (AdmittersList.Admitter a : named) if (a.node().equals(node)) return a.number();
        return 0;
    }

    /**
     * Takes the next number and keeps that it is taken, before any grant carries it: a grant whose
     * answer is lost, or a naming that fails, burns its number rather than give it twice.
     * An IllegalStateException once every number was given.
     */
    public synchronized int reserve() throws IOException {
        if (last >= AdmitterGrants.MAX_NUMBER) throw new IllegalStateException("this pool has named " + AdmitterGrants.MAX_NUMBER + " admitters, its most");
        save(named, last + 1);
        return ++last;
    }

    /** Records {@code node} as admitter {@code number} (the one {@link #reserve} gave). */
    public synchronized void named(String node, int number) throws IOException {
        List<AdmittersList.Admitter> next = new ArrayList<>(named);
        next.add(new AdmittersList.Admitter(node, number));
        save(next, Math.max(last, number));
        named.clear();
        named.addAll(next);
        last = Math.max(last, number);
    }

    /** Forgets {@code node} as an admitter; false if it was none. */
    public synchronized boolean withdrawn(String node) throws IOException {
        List<AdmittersList.Admitter> next = new ArrayList<>(named);
        if (!next.removeIf(a -> a.node().equals(node))) return false;
        save(next, last);
        named.clear();
        named.addAll(next);
        return true;
    }

    /** Forgets everything (the founder left its pool or founded a new one). */
    public synchronized void clear() throws IOException {
        named.clear();
        last = 0;
        Files.deleteIfExists(file);
    }

    private void save(List<AdmittersList.Admitter> admitters, int lastNumber) throws IOException {
        RootOnlyFile.write(file, Json.MAPPER.writeValueAsString(new Kept(admitters, lastNumber)));
    }
}

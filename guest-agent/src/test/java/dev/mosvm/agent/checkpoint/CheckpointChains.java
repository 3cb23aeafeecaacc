package dev.mosvm.agent.checkpoint;

import static dev.mosvm.agent.migrate.CriuImages.PARENT;
import static dev.mosvm.agent.migrate.CriuImages.PRESENT;

import dev.mosvm.agent.migrate.CriuImages;
import dev.mosvm.agent.migrate.CriuImages.Run;
import dev.mosvm.agent.recovery.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checkpoints of job ca.17 of home ca, as a runner takes them: a process of {@link #PAGES}
 * pages, dumped whole by a full checkpoint, and one page dirtied by each incremental one
 * (page {@code N % PAGES} of checkpoint N). Page p restores as the number of the checkpoint
 * that last wrote it.
 */
public final class CheckpointChains {
    public static final String JOB = "ca.17";
    public static final int PAGES = 8;
    private static final int PID = 1;

    private CheckpointChains() {}

    /** The store of home ca's checkpoints under {@code tmp}. */
    public static CheckpointStore store(Path tmp) throws IOException {
        return new CheckpointStore(Files.createDirectories(tmp.resolve("pool/ca")).resolve(".mosvm-checkpoints"), CheckpointSamples.KEY,
                new TestClock());
    }

    /** What the stores of {@link #store} seal with. */
    public static final byte[] KEY = CheckpointSamples.KEY;

    /** Reserves, writes and seals the next checkpoint of {@link #JOB}, full ({@code parent} 0) or on {@code parent}; its number. */
    public static int take(CheckpointStore store, int parent) throws IOException {
        int n = write(store, parent);
        store.seal(store.dirOf(JOB, n), unsigned(n, parent));
        return n;
    }

    /** What node cb, which took checkpoint {@code n} of {@link #JOB} on {@code parent}, knows of it before it is sealed. */
    public static CheckpointManifest unsigned(int n, int parent) {
        return CheckpointSamples.unsigned(JOB, n, parent, 1000);
    }

    /** Reserves and writes the next checkpoint of {@link #JOB}, as {@link #take}, but leaves it unsealed; its number. */
    public static int write(CheckpointStore store, int parent) throws IOException {
        Path dir = store.reserve(JOB);
        int n = Integer.parseInt(dir.getFileName().toString());
        if (parent == 0) {
            CriuImages.write(dir, PID, 1, n, new Run(0, PAGES, PRESENT));
        } else {
            int d = n % PAGES;
            List<Run> runs = new ArrayList<>();
            if (d > 0) runs.add(new Run(0, d, PARENT));
            runs.add(new Run(d, 1, PRESENT));
            if (d < PAGES - 1) runs.add(new Run(d + 1, PAGES - 1 - d, PARENT));
            CriuImages.write(dir, PID, 1, n, runs.toArray(Run[]::new));
            Files.createSymbolicLink(dir.resolve(CheckpointStore.PARENT_LINK), Path.of("../" + parent));
        }
        Files.writeString(dir.resolve("core-1.img"), "registers of " + n);
        return n;
    }

    /** What the process's memory is in checkpoint {@code n} after one on {@code parent} restored as {@code before}: page by page, the checkpoint that wrote it (its low byte). */
    public static int[] memoryAfter(int n, int parent, int[] before) {
        int[] m = parent == 0 ? new int[PAGES] : before.clone();
        if (parent == 0) java.util.Arrays.fill(m, n & 0xFF);
        else m[n % PAGES] = n & 0xFF;
        return m;
    }

    /** The process's memory as checkpoint {@code n} restores it (read as CRIU would, through its parents), after verifying it. */
    public static int[] restored(CheckpointStore store, int n) throws IOException {
        store.verify(JOB + "/" + n, 0);
        int[] m = new int[PAGES];
        for (int p = 0; p < PAGES; p++) m[p] = Byte.toUnsignedInt(CriuImages.restored(store.dirOf(JOB, n), PID, p)[0]);
        return m;
    }

    /** The numbers of {@link #JOB}'s sealed checkpoints. */
    public static List<Integer> sealed(CheckpointStore store) throws IOException {
        return store.list(JOB).stream().map(CheckpointManifest::number).toList();
    }
}

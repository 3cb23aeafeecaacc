package dev.mosvm.agent.jobs;

import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Each job running here has a directory under a root that outlives the agent but not a reboot
 * ({@code /run/mosvm/jobs}, a tmpfs): its {@link JobRecord} ({@code record.json}), the counts of
 * output read from it ({@code bytes}), and the status its supervisor ends with ({@code status}).
 * A restarted agent adopts the jobs from them.
 */
public final class JobRecords {
    static final String RECORD = "record.json";
    static final String STATUS = "status";
    static final String BYTES = "bytes";
    private final Path root;

    public JobRecords(Path root) {
        this.root = root;
    }

    /** Job {@code id}'s directory, made if new (root's alone). */
    Path dirFor(String id) throws IOException {
        Path dir = root.resolve(id);
        Files.createDirectories(dir);
        return dir;
    }

    /** Writes the record whole (a new file renamed over the old): a restart never finds half of one. */
    void write(JobRecord r) throws IOException {
        Path dir = dirFor(r.spec().id());
        Path tmp = dir.resolve(RECORD + ".tmp");
        Files.write(tmp, Json.MAPPER.writeValueAsBytes(r));
        Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static JobRecord read(Path dir) throws IOException {
        return Json.MAPPER.readValue(dir.resolve(RECORD).toFile(), JobRecord.class);
    }

    /** The counts of output read from job {@code id} here, fresh: a new copy of the job starts them at zero. */
    OutputCounts freshCounts(String id) throws IOException {
        Path file = dirFor(id).resolve(BYTES);
        Files.deleteIfExists(file);
        return OutputCounts.in(file);
    }

    /** The counts a previous agent kept in {@code dir}, to go on from. */
    static OutputCounts countsIn(Path dir) throws IOException {
        return OutputCounts.in(dir.resolve(BYTES));
    }

    /** The job directories here, by name. */
    List<Path> dirs() throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) return found;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) if (Files.isDirectory(p)) found.add(p);
        }
        found.sort(null);
        return found;
    }

    /** Removes job {@code id}'s directory and all in it. */
    void remove(String id) throws IOException {
        removeDir(root.resolve(id));
    }

    static void removeDir(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * The start time of process {@code pid} in clock ticks after boot (/proc/PID/stat field 22),
     * or -1 if there is none (a zombie counts as none: it runs nothing).
     */
    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // the name may hold spaces and parentheses
            if (f[0].equals("Z") || f[0].equals("X")) return -1;
            return Long.parseLong(f[19]); // field 22; f[0] is field 3
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}

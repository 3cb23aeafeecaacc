package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compatibility gate's CPU half, made once per agent run instead of once per move (a
 * running VM's CPU does not change, and each criu run costs a loaded emulated node seconds):
 * this CPU's feature record ({@code criu cpuinfo dump}) and which peers' records it can
 * serve ({@code criu cpuinfo check}). Only passes are remembered: a refusal is checked again.
 */
final class CpuFeatures {
    private final Path work;
    private final Set<String> served = ConcurrentHashMap.newKeySet(); // records (a few hundred bytes each) that passed
    private String own;

    /** @param work a directory for CRIU's files (on the migrations' tmpfs) */
    CpuFeatures(Path work) {
        this.work = work;
    }

    /** This CPU's record, base64, as a migration offer carries it. */
    synchronized String ownRecord() throws IOException {
        if (own == null) {
            Path dir = work.resolve("cpu-own");
            Files.createDirectories(dir);
            Criu.run(dir, "cpuinfo.log", "cpuinfo", "dump", "-D", dir.toString());
            own = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("cpuinfo.img")));
            TargetMigration.deleteTree(dir);
        }
        return own;
    }

    /** Throws with CRIU's reason when a job from a CPU with {@code record} (base64) cannot run on this one. */
    void check(String record) throws IOException {
        if (served.contains(record)) return;
        Path dir = Files.createTempDirectory(Files.createDirectories(work), "cpu-check-");
        try {
            Files.write(dir.resolve("cpuinfo.img"), Base64.getDecoder().decode(record));
            Criu.check("cpuinfo", "check", "-D", dir.toString());
            served.add(record);
        } finally {
            TargetMigration.deleteTree(dir);
        }
    }
}

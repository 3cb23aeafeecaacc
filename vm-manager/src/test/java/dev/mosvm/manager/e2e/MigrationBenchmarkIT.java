package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Migration's figures between two appliance VMs: for jobs of given resident sizes, stop-and-copy
 * and pre-copy (restored lazily, and for comparison eagerly), on the run's shared pool of two
 * (PoolOfTwo; scripts/bench-migration.sh sizes its VMs for the largest job), the freeze time, total time, rounds and bytes, against the time to send the
 * same bytes raw (plain TCP, no CRIU, no encryption) between the same two VMs in the same
 * run, and the longest stop the job itself saw (hog.pl times its own wake-ups). Prints a
 * Markdown report. CI runs a 10 MB smoke pass; scripts/bench-migration.sh runs
 * 10 MB and 500 MB. Nothing here asserts a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(1) // first on the pool of two, whole and fresh
@Tag(E2eGroups.POOL_OF_TWO)
class MigrationBenchmarkIT {
    static final String DIR = "/pool/ca/bench";
    static final List<Integer> SIZES_MIB = Arrays.stream(System.getProperty("bench.sizes", "10").split(",")).map(Integer::parseInt).toList();
    static final Path REPORT = Path.of(System.getProperty("bench.report", "target/benchmarks/migration.md"));
    /** The ways of moving each job (stop-and-copy, pre-copy-eager, pre-copy): CI's smoke run only the default; scripts/bench-migration.sh all three. */
    static final List<String> MODES = Arrays.stream(System.getProperty("bench.modes", "pre-copy").split(",")).map(String::strip).toList();

    /** Receives bytes on a port and prints how long the transfer took, from first byte to end. */
    static final String SINK = """
            use IO::Socket::INET; use Time::HiRes qw(time);
            my $s = IO::Socket::INET->new(LocalPort => 7999, Listen => 1, ReuseAddr => 1) or die $!;
            print "listening\\n"; STDOUT->flush;
            my $c = $s->accept; my ($n, $t0, $buf) = (0);
            while (my $r = sysread($c, $buf, 1 << 20)) { $t0 //= time; $n += $r; }
            printf "%d %.3f\\n", $n, time - $t0;
            """;

    MosvmCli cli;

    String sh(String vm, String script) throws Exception {
        return cli.ssh(vm, "bash", "-c", script).ok().out().strip();
    }

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
    }

    @Test
    void measureMigration() throws Exception {
        List<String[]> rows = new ArrayList<>();
        // the raw transfer takes the pool's own path (the overlay, in a pool founded on it), and in an
        // overlay pool also the appliances' own network: the overlay's cost, in the same run
        String plainB = cli.run("status", "cb", "--json").ok().json().get("address").asText();
        String addrB = null;
        for (JsonNode n : cli.nodes("ca").get("nodes")) if (n.get("info").get("id").asText().equals("cb")) addrB = n.get("info").get("address").asText();
        boolean overlay = !plainB.equals(addrB);
        try {
            // alice's jobs: root's stay home
            sh("ca", PoolTestBase.ADD_ALICE + "; mkdir -p " + DIR + " && chown alice: " + DIR + " && echo "
                    + Base64.getEncoder().encodeToString(JobsIT.resource("hog.pl")) + " | base64 -d > " + DIR + "/hog.pl");
            sh("cb", "echo " + Base64.getEncoder().encodeToString(SINK.getBytes()) + " | base64 -d > /root/sink.pl");
            sh("ca", "echo " + Base64.getEncoder().encodeToString(JobsIT.resource("bg-job")) + " | base64 -d > /usr/local/bin/bg-job && chmod 755 /usr/local/bin/bg-job");
            for (int mib : SIZES_MIB) {
                for (String mode : MODES) {
                    sh("ca", "su alice -c 'bg-job " + DIR + " hog perl hog.pl " + mib + " 100000'");
                    // 120 polls a second apart, each a mosvm ps of a second or two, made about 4 min
                    JsonNode ps = Await.until("the " + mib + " MiB job up in mosps on ca", Duration.ofMinutes(4), Duration.ofSeconds(1),
                            () -> cli.run("ps", "-i", "ca", "--json").ok().json(), js -> resident(js, mib) != null);
                    String id = resident(ps, mib);
                    List<String> args = new ArrayList<>(List.of("migrate", "-i", "ca", id, "cb", "--json"));
                    switch (mode) {
                        case "stop-and-copy" -> args.add("--stop-and-copy");
                        case "pre-copy-eager" -> args.add("--eager-restore");
                        case "pre-copy" -> { }
                        default -> throw new IllegalArgumentException("bench.modes: no mode " + mode);
                    }
                    JsonNode m = cli.run(args.toArray(String[]::new)).ok().json();
                    assertEquals("cb", m.get("to").asText());
                    assertEquals(System.getProperty("pool.pageStreams", "sealed"), m.get("pageStream").asText(), "the pool's page streams");
                    long bytes = m.get("bytes").asLong();
                    System.out.println(sh("ca", "journalctl -u mosvm-agent --no-pager | grep 'migrated job " + id + "' | sed 's/.*phases: /phases: /'"));
                    System.out.println("target: " + sh("cb", "journalctl -u mosvm-agent --no-pager | grep 'job " + id + " from ca runs here' | sed 's/.*runs here //'"));
                    // the job's own view: its longest late wake-up so far, on the line it printed after the move
                    int lines = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/hog.out"));
                    Await.until("two more lines from the moved job in hog.out", Duration.ofSeconds(60), Duration.ofMillis(500),
                            () -> Integer.parseInt(sh("ca", "wc -l < " + DIR + "/hog.out")), n -> n >= lines + 2);
                    double stall = Long.parseLong(sh("ca", "tail -1 " + DIR + "/hog.out").split(" ")[1]) / 1000.0;
                    sh("ca", "pkill -f '^mosrun perl hog.pl' || true");
                    for (String vm : PoolOfTwo.NODES) { // the hung-up job and its memory gone before the raw transfer
                        Await.until("hog.pl gone from " + vm, Duration.ofSeconds(60), Duration.ofSeconds(1),
                                () -> sh(vm, "pgrep -f '^perl hog.pl' >/dev/null && echo running || echo gone"), "gone"::equals);
                    }
                    double raw = rawSeconds(bytes, addrB);
                    double rawPlain = overlay ? rawSeconds(bytes, plainB) : raw;
                    double freeze = m.get("freezeMillis").asLong() / 1000.0;
                    double total = m.get("totalMillis").asLong() / 1000.0;
                    rows.add(new String[] {mib + " MiB", mode.equals("pre-copy-eager") ? "pre-copy, eager restore" : mode, m.get("pageStream").asText(), String.valueOf(m.get("rounds").asInt()),
                            String.format(Locale.ROOT, "%.2f", freeze), String.format(Locale.ROOT, "%.2f", stall), String.format(Locale.ROOT, "%.2f", total),
                            String.format(Locale.ROOT, "%.1f", bytes / 1048576.0), String.format(Locale.ROOT, "%.2f", raw),
                            String.format(Locale.ROOT, "%.2f", freeze / raw), String.format(Locale.ROOT, "%.2f", total / raw),
                            overlay ? String.format(Locale.ROOT, "%.2f (overlay %.2fx)", rawPlain, raw / rawPlain) : "(the same path)"});
                }
            }
        } finally {
            sh("ca", "pkill -f '^mosrun perl hog.pl' || true");
        }
        StringBuilder md = new StringBuilder("### Migration between two appliance VMs (" + LocalDate.now() + ", TCG, 1 vCPU each)\n\n");
        md.append("Pool path: ").append(overlay ? "the WireGuard overlay (" + addrB + "); raw plain is the appliances' own network (" + plainB + ")"
                : "the appliances' own network").append(".\n\n");
        md.append("| job | mode | page stream | pre-copy rounds | freeze s | longest stop the job saw s | total s | MiB sent | raw s (same bytes, TCP on the pool's path) | freeze / raw | total / raw | raw s on the plain path |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String[] r : rows) md.append("| ").append(String.join(" | ", r)).append(" |\n");
        Files.createDirectories(REPORT.toAbsolutePath().getParent());
        Files.writeString(REPORT, md.toString());
        System.out.println(md);
    }

    /** The id of the last of {@code jobs} resident in at least 90 % of {@code mib}, or null. */
    static String resident(JsonNode jobs, int mib) {
        String id = null;
        for (JsonNode j : jobs) if (j.get("rssKb").asLong() > mib * 1024L * 9 / 10) id = j.get("id").asText();
        return id;
    }

    /** Seconds to send this many bytes from ca to cb at {@code addrB} over a TCP connection (no CRIU, no mosvm), measured at the receiver. */
    double rawSeconds(long bytes, String addrB) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cli.shellLine("ssh", "-i", "cb", "--", "perl", "/root/sink.pl"));
        pb.environment().putAll(cli.env);
        Process sink = pb.redirectErrorStream(true).start();
        var lines = new java.io.BufferedReader(new java.io.InputStreamReader(sink.getInputStream()));
        String first = lines.readLine();
        assertEquals("listening", first);
        sh("ca", "head -c " + bytes + " /dev/urandom > /dev/shm/raw.bin && cat /dev/shm/raw.bin > /dev/tcp/" + addrB + "/7999; rm -f /dev/shm/raw.bin");
        String result = lines.readLine();
        sink.waitFor();
        String[] f = result.split(" ");
        assertEquals(bytes, Long.parseLong(f[0]), "all bytes arrived raw");
        return Double.parseDouble(f[1]);
    }
}

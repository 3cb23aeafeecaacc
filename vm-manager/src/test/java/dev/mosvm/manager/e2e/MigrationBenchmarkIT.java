package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Migration's figures between two appliance VMs: for jobs of given resident sizes, stop-and-copy
 * and pre-copy (restored lazily, and for comparison eagerly), the freeze time, total time, rounds and bytes, against the time to send the
 * same bytes raw (plain TCP, no CRIU, no encryption) between the same two VMs in the same
 * run, and the longest stop the job itself saw (hog.pl times its own wake-ups). Prints a
 * Markdown report. CI runs a 10 MB smoke pass; scripts/bench-migration.sh runs
 * 10 MB and 500 MB. Nothing here asserts a time.
 */
class MigrationBenchmarkIT {
    static final List<Integer> SIZES_MIB = Arrays.stream(System.getProperty("bench.sizes", "10").split(",")).map(Integer::parseInt).toList();
    static final Path REPORT = Path.of(System.getProperty("bench.report", "target/benchmarks/migration.md"));

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
        return cli.run("ssh", "-i", vm, "--", "bash", "-c", script).ok().out().strip();
    }

    @Test
    void measureMigration() throws Exception {
        MosvmCli.requireEnvironment();
        Path home = Files.createTempDirectory("mosvm-bench-migration");
        cli = new MosvmCli(home);
        int largest = SIZES_MIB.stream().mapToInt(i -> i).max().orElse(10);
        String memory = Math.max(768, 3 * largest + 512) + "M"; // the job, its images on each side, the agent
        List<String[]> rows = new ArrayList<>();
        try {
            for (String vm : List.of("ma", "mb")) cli.run("up", vm, "--memory", memory).ok();
            String out = cli.run("pool", "init", "-i", "ma", "--name", "bench").ok().out();
            String token = out.lines().filter(l -> l.startsWith("join token")).findFirst().orElseThrow().replaceAll(".*: ", "");
            String addrA = cli.run("status", "ma", "--json").ok().json().get("address").asText();
            String addrB = cli.run("status", "mb", "--json").ok().json().get("address").asText();
            cli.run("join", addrA, "--token", token, "-i", "mb").ok();
            for (String vm : List.of("ma", "mb")) cli.run("balance", "-i", vm, "off").ok(); // moves here are by hand, timed
            for (int i = 0; i < 120 && !sh("mb", "mosps --json >/dev/null 2>&1 && grep -c ' /pool/ma nfs4 ' /proc/mounts || true").equals("1"); i++) {
                Thread.sleep(1000);
            }
            sh("ma", "echo " + Base64.getEncoder().encodeToString(JobsIT.resource("hog.pl")) + " | base64 -d > /pool/ma/hog.pl");
            sh("mb", "echo " + Base64.getEncoder().encodeToString(SINK.getBytes()) + " | base64 -d > /root/sink.pl");
            sh("ma", "echo " + Base64.getEncoder().encodeToString(JobsIT.resource("bg-job")) + " | base64 -d > /usr/local/bin/bg-job && chmod 755 /usr/local/bin/bg-job");
            for (int mib : SIZES_MIB) {
                for (String mode : List.of("stop-and-copy", "pre-copy, eager restore", "pre-copy")) {
                    sh("ma", "bg-job /pool/ma hog perl hog.pl " + mib + " 100000");
                    String id = null;
                    for (int i = 0; i < 120 && id == null; i++) {
                        for (JsonNode j : cli.run("ps", "-i", "ma", "--json").ok().json()) {
                            if (j.get("rssKb").asLong() > mib * 1024L * 9 / 10) id = j.get("id").asText();
                        }
                        if (id == null) Thread.sleep(1000);
                    }
                    assertTrue(id != null, "the " + mib + " MiB job came up");
                    List<String> args = new ArrayList<>(List.of("migrate", "-i", "ma", id, "mb", "--json"));
                    if (mode.startsWith("stop-and-copy")) args.add("--stop-and-copy");
                    if (mode.endsWith("eager restore")) args.add("--eager-restore");
                    JsonNode m = cli.run(args.toArray(String[]::new)).ok().json();
                    assertEquals("mb", m.get("to").asText());
                    long bytes = m.get("bytes").asLong();
                    System.out.println(sh("ma", "journalctl -u mosvm-agent --no-pager | grep 'migrated job " + id + "' | sed 's/.*phases: /phases: /'"));
                    // the job's own view: its longest late wake-up so far, on the line it printed after the move
                    int lines = Integer.parseInt(sh("ma", "wc -l < /pool/ma/hog.out"));
                    for (int i = 0; i < 30 && Integer.parseInt(sh("ma", "wc -l < /pool/ma/hog.out")) < lines + 2; i++) Thread.sleep(500);
                    double stall = Long.parseLong(sh("ma", "tail -1 /pool/ma/hog.out").split(" ")[1]) / 1000.0;
                    sh("ma", "pkill -f '^mosrun perl hog.pl' || true");
                    Thread.sleep(3000); // let the hung-up job and its memory go before the raw transfer
                    double raw = rawSeconds(bytes, addrB);
                    double freeze = m.get("freezeMillis").asLong() / 1000.0;
                    double total = m.get("totalMillis").asLong() / 1000.0;
                    rows.add(new String[] {mib + " MiB", mode, String.valueOf(m.get("rounds").asInt()),
                            String.format(Locale.ROOT, "%.2f", freeze), String.format(Locale.ROOT, "%.2f", stall), String.format(Locale.ROOT, "%.2f", total),
                            String.format(Locale.ROOT, "%.1f", bytes / 1048576.0), String.format(Locale.ROOT, "%.2f", raw),
                            String.format(Locale.ROOT, "%.2f", freeze / raw), String.format(Locale.ROOT, "%.2f", total / raw)});
                }
            }
        } finally {
            for (String vm : List.of("ma", "mb")) cli.run("destroy", vm);
            SafeDelete.deleteTree(home);
        }
        StringBuilder md = new StringBuilder("### Migration between two appliance VMs (" + LocalDate.now() + ", TCG, 1 vCPU each)\n\n");
        md.append("| job | mode | pre-copy rounds | freeze s | longest stop the job saw s | total s | MiB sent | raw s (same bytes, plain TCP) | freeze / raw | total / raw |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (String[] r : rows) md.append("| ").append(String.join(" | ", r)).append(" |\n");
        Files.createDirectories(REPORT.toAbsolutePath().getParent());
        Files.writeString(REPORT, md.toString());
        System.out.println(md);
    }

    /** Seconds to send this many bytes from ma to mb over a plain TCP connection, measured at the receiver. */
    double rawSeconds(long bytes, String addrB) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cli.shellLine("ssh", "-i", "mb", "--", "perl", "/root/sink.pl"));
        pb.environment().putAll(cli.env);
        Process sink = pb.redirectErrorStream(true).start();
        var lines = new java.io.BufferedReader(new java.io.InputStreamReader(sink.getInputStream()));
        String first = lines.readLine();
        assertEquals("listening", first);
        sh("ma", "head -c " + bytes + " /dev/urandom > /dev/shm/raw.bin && cat /dev/shm/raw.bin > /dev/tcp/" + addrB + "/7999; rm -f /dev/shm/raw.bin");
        String result = lines.readLine();
        sink.waitFor();
        String[] f = result.split(" ");
        assertEquals(bytes, Long.parseLong(f[0]), "all bytes arrived raw");
        return Double.parseDouble(f[1]);
    }
}

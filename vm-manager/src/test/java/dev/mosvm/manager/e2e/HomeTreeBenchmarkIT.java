package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the home's tree costs (docs/ssi.md), on the run's pool of two, against the same work at
 * home and against a raw TCP transfer between the same two appliances, measured in one run: a
 * job's start (`mosrun -r cb true` against `mosrun -L true`), a remote job reading MIB mebibytes
 * from its home's tree and writing them back. A smoke pass in the test suite (16 MiB, three
 * starts); scripts/bench-ssi.sh runs the 200 MiB and writes the figures, which go to
 * docs/benchmarks.md. Nothing here asserts a speed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(2) // on the pool of two, whole
@Tag(E2eGroups.POOL_OF_TWO)
class HomeTreeBenchmarkIT extends PoolTestBase {
    static final int MIB = Integer.getInteger("bench.ssiMib", 16);
    static final int STARTS = Integer.getInteger("bench.ssiStarts", 3);
    static final Path REPORT = Path.of(System.getProperty("bench.report", "target/benchmarks/ssi.md"));
    static final String DATA = "/home/alice/bench";
    static final int PORT = 7799;

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        sh("ca", ADD_ALICE + "; su alice -c 'mkdir -p " + DATA + "'");
    }

    @Test
    void startReadAndWriteThroughTheHomesTree() throws Exception {
        // starts: the same program, at home and on cb through ca's tree; the first of each is cold
        double[] home = starts("-L");
        double[] remote = starts("-r cb");
        double homeMedian = median(home), remoteMedian = median(remote);

        // the data: MIB of random bytes in alice's home directory at ca, outside /pool; the remote job times itself
        sh("ca", "su alice -c 'head -c " + MIB + "M /dev/urandom > " + DATA + "/in && rm -f " + DATA + "/out'");
        installAll("ca", java.util.Map.of(DATA + "/read.sh", timed("cat in > /dev/null"), DATA + "/write.sh", timed("head -c " + MIB + "M /dev/zero > out; sync out")), "755");
        double raw = rawTransfer();
        dropCaches();
        double readSeconds = remoteSeconds("read.sh");
        assertEquals(sh("ca", "cd " + DATA + " && sha256sum in"), sh("ca", "cd " + DATA + " && su alice -c 'mosrun -r cb sha256sum in'"),
                "a remote job reads the bytes home has");
        dropCaches();
        double writeSeconds = remoteSeconds("write.sh");
        assertEquals(String.valueOf((long) MIB << 20), sh("ca", "stat -c %s " + DATA + "/out"), "what the remote job wrote is at home");
        String md = String.format(Locale.ROOT, """
                | figure | value | target |
                |---|---|---|
                | job start at home (`mosrun -L true`), median of %d (first, cold: %.2f s) | %.2f s | |
                | job start on cb through ca's tree (`mosrun -r cb true`), median of %d (first, cold: %.2f s) | %.2f s | |
                | remote start / home start | %.2f | <= 1.5 |
                | raw TCP ca -> cb, %d MiB | %.1f MiB/s | |
                | remote job reads %d MiB from its home's tree (caches dropped) | %.1f MiB/s, %.0f %% of raw | >= 50 %% |
                | remote job writes %d MiB into its home's tree (synced) | %.1f MiB/s, %.0f %% of raw | >= 40 %% |
                """, STARTS, home[0], homeMedian, STARTS, remote[0], remoteMedian, remoteMedian / homeMedian, MIB, MIB / raw, MIB, MIB / readSeconds,
                100 * raw / readSeconds, MIB, MIB / writeSeconds, 100 * raw / writeSeconds);
        Files.createDirectories(REPORT.getParent());
        Files.writeString(REPORT, md);
        System.out.println("home tree benchmark:\n" + md + "starts at home " + Arrays.toString(home) + ", on cb " + Arrays.toString(remote));
        sh("ca", "rm -f " + DATA + "/in " + DATA + "/out");
    }

    /** A script that runs {@code work} and prints how many milliseconds it took. */
    static byte[] timed(String work) {
        return ("s=$(date +%s%N); " + work + "; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))\n").getBytes();
    }

    /** Seconds {@code script} in DATA reports when a job of alice's runs it on cb. */
    double remoteSeconds(String script) throws Exception {
        return Double.parseDouble(sh("ca", "cd " + DATA + " && su alice -c 'mosrun -r cb sh " + script + "'")) / 1000;
    }

    /** Seconds each of {@link #STARTS} starts of `true` takes from ca's mosrun with {@code options}, as the caller sees it. */
    double[] starts(String options) throws Exception {
        String ms = sh("ca", "cd /home/alice && for i in $(seq " + STARTS + "); do s=$(date +%s%N); su alice -c 'mosrun " + options
                + " true' || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); done");
        List<Double> out = new ArrayList<>();
        for (String l : ms.split("\n")) out.add(Double.parseDouble(l.strip()) / 1000);
        assertEquals(STARTS, out.size(), ms);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Seconds to send MIB mebibytes from ca to cb over one TCP connection: from the sender's
     * connect to the receiver's answer, which it sends once it has read them all.
     */
    double rawTransfer() throws Exception {
        String receiver = "use IO::Socket::INET; my $l = IO::Socket::INET->new(LocalPort => " + PORT + ", Listen => 1, ReuseAddr => 1) or die $!;"
                + " my $c = $l->accept; my $n = 0; while ((my $r = sysread($c, my $b, 1 << 20)) > 0) { $n += $r } print $c \"$n\\n\"; close $c;\n";
        String sender = "use IO::Socket::INET; my $c = IO::Socket::INET->new(PeerAddr => $ARGV[0]) or die \"connect: $!\"; my $b = \"x\" x (1 << 20);"
                + " for (1 .. $ARGV[1]) { print $c $b } shutdown($c, 1); print scalar <$c>;\n";
        install("cb", "/tmp/raw-recv.pl", receiver.getBytes(), "644");
        install("ca", "/tmp/raw-send.pl", sender.getBytes(), "644");
        sh("cb", "setsid nohup perl /tmp/raw-recv.pl </dev/null >/tmp/raw-recv.log 2>&1 & sleep 1");
        String cb = cli.run("status", "cb", "--json").ok().json().get("address").asText();
        String[] got = sh("ca", "s=$(date +%s%N); perl /tmp/raw-send.pl " + cb + ":" + PORT + " " + MIB + "; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))")
                .split("\n");
        assertEquals(String.valueOf((long) MIB << 20), got[0].strip(), "the receiver got every byte: " + sh("cb", "cat /tmp/raw-recv.log"));
        return Double.parseDouble(got[1].strip()) / 1000;
    }

    void dropCaches() throws Exception {
        for (String vm : PoolOfTwo.NODES) sh(vm, "sync; echo 3 > /proc/sys/vm/drop_caches");
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

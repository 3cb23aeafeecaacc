package dev.mosvm.manager.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What end-to-end tests on a pool of appliances share: bringing the pool up, and commands in its VMs. */
abstract class PoolTestBase {
    /**
     * Makes alice (uid 1500) where she is missing: the user whose jobs the tests move (root's
     * and system accounts' jobs stay home, docs/sandbox.md), the same uid on every node.
     */
    static final String ADD_ALICE = "id alice >/dev/null 2>&1 || useradd -m -u 1500 alice";
    MosvmCli cli;

    /**
     * Boots the VMs (name to extra `up` options) side by side, founds pool {@code pool} on the
     * first and joins the others, then waits until every node mounts every other's /pool share.
     * Side by side: on two host cores three emulated boots take about half as long as one after
     * another (each agent measures its speed again once it is idle, so a boot beside others
     * does not leave it with a low reading). {@code pageStreams}: the pool's --page-streams.
     */
    void upPool(String pool, String pageStreams, Map<String, List<String>> vms) throws Exception {
        List<String> names = new ArrayList<>(vms.keySet());
        List<String[]> ups = new ArrayList<>();
        for (Map.Entry<String, List<String>> vm : vms.entrySet()) {
            List<String> args = new ArrayList<>(List.of("up", vm.getKey()));
            args.addAll(vm.getValue());
            ups.add(args.toArray(String[]::new));
        }
        long t0 = System.nanoTime();
        for (MosvmCli.Result r : cli.runTogether(ups)) r.ok();
        long booted = System.nanoTime();
        String first = names.get(0);
        List<String> init = new ArrayList<>(List.of("pool", "init", "-i", first, "--name", pool, "--page-streams", pageStreams,
                "--token-uses", String.valueOf(names.size() - 1)));
        // -Dpool.overlay=wireguard: the pool over the WireGuard overlay (scripts/bench-migration.sh measures its cost)
        String overlay = System.getProperty("pool.overlay", "");
        if (!overlay.isEmpty()) init.addAll(List.of("--overlay", overlay));
        String out = cli.run(init.toArray(String[]::new)).ok().out();
        String token = out.lines().filter(l -> l.startsWith("join token")).findFirst().orElseThrow().replaceAll(".*: ", "");
        String address = cli.run("status", first, "--json").ok().json().get("address").asText();
        for (String vm : names.subList(1, names.size())) cli.run("join", address, "--token", token, "-i", vm).ok();
        long joined = System.nanoTime();
        for (String vm : names) {
            for (String other : names) {
                if (!other.equals(vm)) waitUntil(vm, "grep -q ' /pool/" + other + " nfs4 ' /proc/mounts && echo yes || true", "yes"::equals, 120);
            }
        }
        // where a class's set-up time goes (CI's time is mostly the end-to-end classes')
        System.out.printf(java.util.Locale.ROOT, "pool %s up: %.0f s to boot %s side by side, %.0f s to found and join, %.0f s until all mount each other%n",
                pool, (booted - t0) / 1e9, names, (joined - booted) / 1e9, (System.nanoTime() - joined) / 1e9);
    }

    static Map<String, List<String>> vms(Object... nameThenOptions) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenOptions.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> opts = (List<String>) nameThenOptions[i + 1];
            m.put((String) nameThenOptions[i], opts);
        }
        return m;
    }

    /** Runs a script as root in a VM; ssh's own failures (255: a saturated emulated node missed the handshake) are retried. */
    String sh(String vm, String script) throws Exception {
        MosvmCli.Result r = cli.ssh(vm, "bash", "-c", script);
        for (int i = 0; i < 3 && r.exit() == 255; i++) {
            Thread.sleep(5000); // a pause before retrying, not a wait for a condition
            r = cli.ssh(vm, "bash", "-c", script);
        }
        return r.ok().out().strip();
    }

    boolean criuWorks(String vm) throws Exception {
        return sh(vm, "criu check --feature mem_dirty_track").contains("supported");
    }

    /** Writes a file in a VM; under /pool it belongs to alice where that user exists. */
    void install(String vm, String path, byte[] content, String mode) throws Exception {
        installAll(vm, Map.of(path, content), mode);
    }

    /** Writes several files into a VM in one ssh call, each as {@link #install} does. */
    void installAll(String vm, Map<String, byte[]> files, String mode) throws Exception {
        StringBuilder script = new StringBuilder("set -e");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String path = f.getKey();
            script.append("; echo ").append(Base64.getEncoder().encodeToString(f.getValue())).append(" | base64 -d > ").append(path)
                    .append(" && chmod ").append(mode).append(' ').append(path);
            if (path.startsWith("/pool/")) script.append(" && { ! id alice >/dev/null 2>&1 || chown alice: ").append(path).append("; }");
        }
        sh(vm, script.toString());
    }

    /** What a job of a batch (batch.sh) left: its exit status, its exact standard output, its errors. */
    record JobResult(String status, String out, String err) {}

    /** The results of jobs DIR/TAG.1 to TAG.COUNT, read in one ssh call (a call costs seconds on a saturated emulated node). */
    List<JobResult> batchResults(String vm, String dir, String tag, int count) throws Exception {
        String all = sh(vm, "cd " + dir + " && for i in $(seq 1 " + count + "); do echo \"@@job $(cat " + tag + ".$i.status 2>/dev/null)\"; cat "
                + tag + ".$i.out 2>/dev/null; echo; echo @@err; cat " + tag + ".$i.err 2>/dev/null; echo; done");
        return parseBatchResults(all, count, tag + " in " + dir);
    }

    /** Parses what {@link #batchResults} prints (ssh's output comes stripped of its last newline). */
    static List<JobResult> parseBatchResults(String all, int count, String what) {
        List<JobResult> results = new ArrayList<>();
        for (String block : ("\n" + all + "\n").split("\n@@job ", -1)) {
            if (block.isBlank()) continue;
            int nl = block.indexOf('\n');
            int err = nl < 0 ? -1 : block.indexOf("\n@@err\n", nl);
            if (err < 0) throw new AssertionError("unreadable results of batch " + what + ": " + all);
            results.add(new JobResult(block.substring(0, nl).strip(), block.substring(nl + 1, err), block.substring(err + 7).strip()));
        }
        if (results.size() != count) throw new AssertionError(count + " results expected of batch " + what + ", got " + results.size() + ": " + all);
        return results;
    }

    /** Runs {@code script} in {@code vm} every second until its output satisfies {@code ok}; fails after {@code seconds}. */
    void waitUntil(String vm, String script, Predicate<String> ok, int seconds) throws Exception {
        Await.until("on " + vm + ", `" + script + "` says what the test waits for", Duration.ofSeconds(seconds), Duration.ofSeconds(1),
                () -> sh(vm, script), ok);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = PoolTestBase.class.getResourceAsStream("/jobs/" + name)) {
            if (in == null) throw new IOException("no test resource /jobs/" + name);
            return in.readAllBytes();
        }
    }

    // --- jobs as `mosvm ps --json` shows them ---

    JsonNode jobs(String vm) throws Exception {
        return cli.run("ps", "-i", vm, "--json").ok().json();
    }

    JsonNode job(String vm, String id) throws Exception {
        for (JsonNode j : jobs(vm)) if (j.get("id").asText().equals(id)) return j;
        throw new AssertionError("no job " + id + " in " + jobs(vm));
    }

    /** The first running job whose command line contains {@code marker}, once it shows in mosps. */
    JsonNode waitForJob(String vm, String marker, int seconds) throws Exception {
        JsonNode jobs = Await.until("a job with '" + marker + "' in mosps on " + vm, Duration.ofSeconds(seconds), Duration.ofSeconds(1),
                () -> jobs(vm), js -> withMarker(js, marker) != null);
        return withMarker(jobs, marker);
    }

    /** The first of {@code jobs} whose command line contains {@code marker} ("-L": the first pinned one), or null. */
    static JsonNode withMarker(JsonNode jobs, String marker) {
        for (JsonNode j : jobs) {
            List<String> argv = new ArrayList<>();
            j.get("argv").forEach(a -> argv.add(a.asText()));
            if (String.join(" ", argv).contains(marker) || (marker.equals("-L") && j.get("pinned").asBoolean())) return j;
        }
        return null;
    }
}

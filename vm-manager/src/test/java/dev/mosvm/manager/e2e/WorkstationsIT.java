package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.builder.SafeDelete;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A pool of workstations, each on its own machine as far as the network goes: three network
 * namespaces on one bridge (scripts/workstations.sh), each running its own mosvm (its own
 * MOSVM_HOME) and its appliance under the qemu driver behind QEMU's user-mode NAT, as on a
 * laptop. They pool over the LAN addresses only: the join goes to the founder's forwarded join
 * port, and everything after rides the WireGuard overlay between appliances. Last, a libvirt
 * appliance in the host's own namespace joins them from behind libvirt's NAT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkstationsIT extends PoolTestBase {
    static final Path SCRIPT = Path.of("..", "scripts", "workstations.sh").toAbsolutePath().normalize();
    static final List<String> VMS = List.of("w1", "w2", "w3");
    final Map<String, MosvmCli> at = new LinkedHashMap<>();
    Path root;
    /** mosvm in the host's own namespace (a libvirt appliance joins the workstations from there). */
    MosvmCli host;
    String joinAddress;
    String firstToken;

    static String ns(String vm) {
        return "mosvm-ws" + vm.substring(1);
    }

    static String lan(String vm) {
        return "10.213.77.1" + vm.substring(1);
    }

    static String workstations(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "workstations.sh " + String.join(" ", args));
        assertEquals(0, p.exitValue(), "workstations.sh " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    @BeforeAll
    void setUp() throws Exception {
        MosvmCli.requireEnvironment();
        workstations("down"); // what a killed run left
        workstations("up", "3");
        workstations("closed", "ws2"); // w2's router forwards nothing (new inbound UDP dropped): it says so with --endpoint none
        workstations("stranger");
        root = Files.createTempDirectory("mosvm-e2e-ws");
        for (String vm : VMS) at.put(vm, new MosvmCli(root.resolve(vm)).inNetworkNamespace(ns(vm)));
        cli = at.get("w1");
        // three emulated boots side by side, each on its own workstation
        ExecutorService threads = Executors.newFixedThreadPool(VMS.size());
        try {
            List<Future<MosvmCli.Result>> ups = new ArrayList<>();
            for (String vm : VMS) {
                List<String> up = new ArrayList<>(List.of("up", vm, "--driver", "qemu", "--memory", "512M"));
                if (vm.equals("w2")) up.addAll(List.of("--endpoint", "none"));
                ups.add(threads.submit(() -> at.get(vm).run(up.toArray(String[]::new))));
            }
            for (Future<MosvmCli.Result> f : ups) System.out.println(f.get().ok().out().lines().findFirst().orElse(""));
        } finally {
            threads.shutdown();
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        for (Map.Entry<String, MosvmCli> e : at.entrySet()) e.getValue().run("destroy", e.getKey());
        if (host != null) host.run("destroy", "h4");
        workstations("down");
        if (root != null) SafeDelete.deleteTree(root);
    }

    @Override
    String sh(String vm, String script) throws Exception {
        MosvmCli c = at.get(vm);
        MosvmCli.Result r = c.ssh(vm, "bash", "-c", script);
        for (int i = 0; i < 3 && r.exit() == 255; i++) {
            Thread.sleep(5000); // a pause before retrying, not a wait for a condition
            r = c.ssh(vm, "bash", "-c", script);
        }
        return r.ok().out().strip();
    }

    /** Each node's state as {@code vm} sees it. */
    Map<String, String> states(String vm) throws Exception {
        Map<String, String> s = new TreeMap<>();
        MosvmCli.Result r = at.get(vm).run("nodes", "-i", vm, "--json");
        if (r.exit() != 0) return s;
        for (JsonNode n : r.json().get("nodes")) s.put(n.get("info").get("id").asText(), n.get("state").asText());
        return s;
    }

    boolean allSee(String state, String node) throws Exception {
        for (String vm : VMS) if (!vm.equals(node) && !state.equals(states(vm).get(node))) return false;
        return true;
    }

    @Test
    @Order(1)
    void workstationsPoolOverTheirLanAddressesAndEveryNodeSeesEveryOtherAlive() throws Exception {
        String out = at.get("w1").run("pool", "init", "-i", "w1", "--name", "office", "--token-uses", "2").ok().out();
        assertTrue(out.contains("over a WireGuard overlay, which seals migrations' pages too"),
                "the qemu driver's pool rides the overlay, and its page streams are not sealed twice:\n" + out);
        Matcher m = Pattern.compile("mosvm join (\\S+) --token (\\S+)").matcher(out);
        assertTrue(m.find(), out);
        joinAddress = m.group(1);
        String token = firstToken = m.group(2);
        assertTrue(joinAddress.startsWith(lan("w1") + ":"), "other workstations join through w1's LAN address: " + joinAddress);
        at.get("w2").run("join", joinAddress, "--token", token, "-i", "w2").ok();
        long start = System.nanoTime();
        at.get("w3").run("join", joinAddress, "--token", token, "-i", "w3").ok();
        Await.until("every workstation sees w3 ALIVE", Duration.ofSeconds(60), Duration.ofMillis(250), () -> allSee("ALIVE", "w3"), ok -> ok);
        System.out.printf("join to ALIVE everywhere across workstations: %.1f s (from the start of w3's mosvm join)%n", (System.nanoTime() - start) / 1e9);
        at.get("w2").run("pool", "token", "list", "-i", "w2").fails(ExitCodes.BAD_STATE, "founder");

        JsonNode nodes = at.get("w2").nodes("w2").get("nodes");
        Map<String, String> addresses = new TreeMap<>(), endpoints = new TreeMap<>();
        for (JsonNode n : nodes) {
            addresses.put(n.get("info").get("id").asText(), n.get("info").get("address").asText());
            endpoints.put(n.get("info").get("id").asText(), n.get("info").path("endpoint").asText("none"));
        }
        assertEquals(Map.of("w1", "10.77.0.1", "w2", "10.77.0.2", "w3", "10.77.0.3"), addresses, "members reach each other on the overlay");
        for (String vm : List.of("w1", "w3")) assertTrue(endpoints.get(vm).startsWith(lan(vm) + ":"), vm + " is reached at its workstation's LAN address: " + endpoints);
        assertEquals("none", endpoints.get("w2"), "w2, whose router forwards nothing, says nothing reaches it: it calls the others");
        String wg = sh("w1", "wg show mosvm0 latest-handshakes");
        assertEquals(2, wg.lines().filter(l -> !l.endsWith("\t0")).count(), "w1 has shaken hands with both others:\n" + wg);
    }

    @Test
    @Order(2)
    void aJobFromOneWorkstationRunsOnAnotherWithItsHomeFilesAndMigratesToAThird() throws Exception {
        // alice's jobs: root's stay home
        sh("w1", ADD_ALICE + "; mkdir -p /pool/w1/ws && chown alice: /pool/w1/ws && echo 'input from w1' > /pool/w1/ws/in.txt");
        String where = sh("w1", "cd /pool/w1/ws && runuser -u alice -- mosrun -r w2 sh -c 'cat in.txt > copy.txt; hostname'");
        assertEquals("w2", where, "the job ran on w2's appliance");
        assertEquals("input from w1", sh("w1", "cat /pool/w1/ws/copy.txt"), "read and wrote its home's files from another workstation");

        sh("w1", "cd /pool/w1/ws && (setsid nohup runuser -u alice -- mosrun -r w2 perl -e '$|=1; for (1..60) { print \"$_\\n\"; sleep 1 }' > count.out 2> count.err < /dev/null &)");
        String id = Await.until("the counting job runs on w2", Duration.ofSeconds(60), Duration.ofSeconds(1),
                () -> sh("w1", "mosps | awk '$0 ~ / w2 / {print $1}' | head -1"), s -> !s.isEmpty());
        Await.until("the job has counted a few", Duration.ofSeconds(60), Duration.ofSeconds(1), () -> sh("w1", "wc -l < /pool/w1/ws/count.out"),
                s -> Integer.parseInt(s) >= 5);
        String moved = at.get("w1").run("migrate", "-i", "w1", id, "w3").ok().out();
        System.out.println("across workstations: " + moved.strip());
        assertTrue(moved.contains("moved w2 -> w3"), moved);
        waitUntil("w1", "wc -l < /pool/w1/ws/count.out", s -> Integer.parseInt(s) >= 60, 180);
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 60; i++) expected.append(i).append('\n');
        assertEquals(expected.toString().strip(), sh("w1", "cat /pool/w1/ws/count.out"), "every line once, in order, across the move");
    }

    @Test
    @Order(3)
    void aWorkstationWhoseCableIsPulledTurnsDeadAndRejoinsWhenItReturns() throws Exception {
        workstations("cut", "ws3");
        try {
            Await.until("w1 and w2 see w3 DEAD", Duration.ofSeconds(90), Duration.ofSeconds(1), () -> allSee("DEAD", "w3"), ok -> ok);
        } finally {
            workstations("mend", "ws3");
        }
        long start = System.nanoTime();
        Await.until("w1 and w2 see w3 ALIVE again", Duration.ofSeconds(90), Duration.ofSeconds(1), () -> allSee("ALIVE", "w3"), ok -> ok);
        System.out.printf("cable back to ALIVE: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertEquals("ALIVE", states("w3").get("w1"), "and w3 sees w1");
    }

    /**
     * Agents restarted: a member's comes back by itself, and so does the founder's, which must
     * take the members as WireGuard peers again from what it kept before it hears from any of
     * them. (A workstation switched off and on again is the founder in the admitters' test:
     * one emulated boot instead of two.)
     */
    @Test
    @Order(4)
    void aRestartedAgentComesBackByItselfAndSoDoesTheFounders() throws Exception {
        sh("w2", "systemctl restart mosvm-agent");
        Await.until("w1 sees w2 ALIVE after its agent restarted", Duration.ofSeconds(120), Duration.ofSeconds(1),
                () -> states("w1").get("w2"), "ALIVE"::equals);
        // the founder restarted: WireGuard drops packets from keys it has no peer for
        sh("w1", "systemctl restart mosvm-agent");
        Await.until("w2 and w3 see the restarted founder ALIVE, and it sees them", Duration.ofSeconds(120), Duration.ofSeconds(1),
                () -> allSee("ALIVE", "w1") && "ALIVE".equals(states("w1").get("w2")) && "ALIVE".equals(states("w1").get("w3")), ok -> ok);
    }

    @Test
    @Order(5)
    void aStrangerOnTheLanGetsNothingFromTheOverlayOrTheJoinPort() throws Exception {
        String endpoint = at.get("w1").nodes("w1").get("nodes").findValues("endpoint").stream().map(JsonNode::asText)
                .filter(e -> e.startsWith(lan("w1") + ":")).findFirst().orElseThrow();
        String udp = endpoint.substring(endpoint.indexOf(':') + 1);
        String join = joinAddress.substring(joinAddress.indexOf(':') + 1);
        List<String> probe = new ArrayList<>(List.of("ip", "netns", "exec", "mosvm-ws-stranger",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", Path.of("target", "test-classes").toAbsolutePath().toString(),
                StrangerProbe.class.getName(), lan("w1"), udp, join, "7946", "22"));
        Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        System.out.println("stranger: " + out.strip().replace('\n', ';'));
        assertTrue(out.contains("udp " + udp + " silent"), "WireGuard answers no one it does not know:\n" + out);
        assertTrue(out.contains("tcp 7946 closed") && out.contains("tcp 22 closed"), "nothing but the join port is open on the LAN:\n" + out);
        // the join port answers only with a refusal: a made-up token of the right shape gets nothing
        MosvmCli stranger = new MosvmCli(root.resolve("stranger")).inNetworkNamespace("mosvm-ws-stranger");
        String forged = "mosvm1.office.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA." + "0".repeat(64);
        stranger.run("join", joinAddress, "--token", forged, "-i", "nobody").fails(ExitCodes.BAD_STATE, "");
        String gossip = sh("w1", "wg show mosvm0 peers | wc -l");
        assertEquals("2", gossip, "no peer was added for the stranger");
    }

    @Test
    @Order(6)
    void anAdmitterTheFounderNamesAdmitsAndRemovesWorkstationsWhileTheFounderIsOff() throws Exception {
        String named = at.get("w1").run("pool", "admitters", "add", "w2", "-i", "w1").ok().out();
        assertTrue(named.startsWith("w2 is admitter 1 of pool 'office'"), named);
        at.get("w3").run("pool", "admitters", "add", "w3", "-i", "w3").fails(ExitCodes.BAD_STATE, "only the pool's founder, w1, names admitters");
        at.get("w3").run("leave", "-i", "w3").ok();
        Await.until("w2 sees w3 LEFT", Duration.ofSeconds(60), Duration.ofSeconds(1), () -> states("w2").get("w3"), "LEFT"::equals);
        at.get("w1").run("down", "w1").ok(); // the founder's workstation is off from here
        try {
            String created = at.get("w2").run("pool", "token", "create", "-i", "w2").ok().out();
            Matcher m = Pattern.compile("mosvm join (\\S+) --token (\\S+)").matcher(created);
            assertTrue(m.find(), created);
            assertTrue(m.group(1).startsWith(lan("w2") + ":"), "the admitter's token joins through its own workstation: " + m.group(1));
            long start = System.nanoTime();
            at.get("w3").run("join", m.group(1), "--token", m.group(2), "-i", "w3").ok();
            Await.until("w2 and w3 see each other ALIVE", Duration.ofSeconds(60), Duration.ofMillis(250),
                    () -> "ALIVE".equals(states("w2").get("w3")) && "ALIVE".equals(states("w3").get("w2")), ok -> ok);
            System.out.printf("join through an admitter, the founder off, to ALIVE: %.1f s%n", (System.nanoTime() - start) / 1e9);
            for (JsonNode n : at.get("w2").nodes("w2").get("nodes")) {
                if (n.get("info").get("id").asText().equals("w3")) {
                    assertEquals("10.77.0.3", n.get("info").get("address").asText(), "a member back from leaving keeps its seat");
                }
            }
            waitUntil("w2", "grep -q ' /pool/w3 nfs4 ' /proc/mounts && echo yes || true", "yes"::equals, 120);
            assertEquals("w2", sh("w3", ADD_ALICE + "; mkdir -p /pool/w3/x && cd /pool/w3/x && runuser -u alice -- mosrun -r w2 hostname"), "and runs jobs on the pool without its founder");

            String removed = at.get("w2").run("pool", "remove", "-i", "w2", "w3").ok().out();
            assertTrue(removed.contains("the founder, w1, is not reachable"), removed);
            String key = sh("w3", "wg show mosvm0 public-key");
            waitUntil("w2", "wg show mosvm0 peers", s -> !s.contains(key), 60);
            Await.until("w2 sees w3 DEAD or gone", Duration.ofSeconds(90), Duration.ofSeconds(1), () -> states("w2").getOrDefault("w3", "GONE"),
                    s -> !s.equals("ALIVE") && !s.equals("SUSPECT"));
        } finally {
            at.get("w1").run("up", "w1").ok();
        }
        // a workstation switched off and on comes back at its overlay address by itself
        long start = System.nanoTime();
        Await.until("w2 sees w1 ALIVE after it came up again", Duration.ofSeconds(120), Duration.ofSeconds(1),
                () -> states("w2").get("w1"), "ALIVE"::equals);
        System.out.printf("restarted workstation back to ALIVE: %.1f s after its up returned%n", (System.nanoTime() - start) / 1e9);
        for (JsonNode n : at.get("w2").nodes("w2").get("nodes")) {
            if (n.get("info").get("id").asText().equals("w1")) assertEquals("10.77.0.1", n.get("info").get("address").asText(), "the same overlay address");
        }
        waitUntil("w2", "grep -q ' /pool/w1 nfs4 ' /proc/mounts && echo yes || true", "yes"::equals, 120);
        // back, the founder hears of the removal from w2 and hands the others a key w3 never gets
        waitUntil("w1", "journalctl -u mosvm-agent -o cat | grep -c \"removing w3 on admitter w2's notice\" || true", s -> !s.equals("0"), 180);
        at.get("w1").run("pool", "remove", "-i", "w1", "w3").fails(ExitCodes.BAD_STATE, "node 'w3' was already removed");
        String key = sh("w3", "wg show mosvm0 public-key");
        waitUntil("w1", "wg show mosvm0 peers", s -> !s.contains(key), 60);
        at.get("w3").run("leave", "-i", "w3");
        String fresh = at.get("w1").run("pool", "token", "create", "-i", "w1").ok().out();
        Matcher m = Pattern.compile("--token (\\S+)").matcher(fresh);
        assertTrue(m.find(), fresh);
        at.get("w3").run("join", joinAddress, "--token", m.group(1), "-i", "w3").fails(ExitCodes.BAD_STATE, "removed");
    }

    @Test
    @Order(7)
    void badInputGetsOneLineAndMakesNothing() throws Exception {
        MosvmCli w2 = at.get("w2");
        w2.run("up", "w9", "--driver", "qemu", "--endpoint", "not an endpoint").fails(ExitCodes.INVALID_INPUT, "endpoint");
        assertTrue(!Files.exists(root.resolve("w2").resolve("w9")), "nothing made");
        w2.run("join", joinAddress, "--token", firstToken, "-i", "w2").fails(ExitCodes.BAD_STATE, "already in pool office");
        MosvmCli w3 = at.get("w3"); // out of the pool since it was removed
        w3.run("join", "10.213.77.99:7444", "--token", firstToken, "-i", "w3").fails(ExitCodes.FAILED, "cannot reach the pool at 10.213.77.99");
        w3.run("join", joinAddress, "--token", firstToken, "-i", "w3").fails(ExitCodes.BAD_STATE, "refused the token");
        w3.run("join", "10.213.77.11:99999", "--token", firstToken, "-i", "w3").fails(ExitCodes.INVALID_INPUT, "invalid address");
    }

    @Test
    @Order(8)
    void aLibvirtApplianceOnTheHostJoinsTheWorkstationsFromBehindLibvirtsNat() throws Exception {
        at.remove("w3").run("destroy", "w3").ok(); // three emulated guests at most
        host = new MosvmCli(root.resolve("h4"));
        // nothing reaches it from outside (libvirt's NAT, and it says so): it calls the others
        host.run("up", "h4", "--driver", "libvirt", "--memory", "512M", "--endpoint", "none").ok();
        // through the admitter w2: a new member, seated in w2's block of overlay addresses
        String create = at.get("w2").run("pool", "token", "create", "-i", "w2").ok().out();
        Matcher m = Pattern.compile("mosvm join (\\S+) --token (\\S+)").matcher(create);
        assertTrue(m.find(), create);
        long start = System.nanoTime();
        host.run("join", m.group(1), "--token", m.group(2), "-i", "h4").ok();
        Await.until("w1 and w2 see h4 ALIVE", Duration.ofSeconds(60), Duration.ofMillis(250),
                () -> "ALIVE".equals(states("w1").get("h4")) && "ALIVE".equals(states("w2").get("h4")), ok -> ok);
        System.out.printf("libvirt appliance join to ALIVE on the workstations: %.1f s%n", (System.nanoTime() - start) / 1e9);
        for (JsonNode n : at.get("w1").nodes("w1").get("nodes")) {
            if (n.get("info").get("id").asText().equals("h4")) assertEquals("10.77.1.1", n.get("info").get("address").asText(), "admitter 1's first seat");
        }
        // its packets leave through libvirt's NAT and the host's LAN address: the workstations reach it there, not where it said
        String endpoints = sh("w1", "wg show mosvm0 endpoints");
        assertTrue(endpoints.contains("\t10.213.77.1:"), "w1 reaches h4 through the host's LAN address:\n" + endpoints);
        // h4 and w2 both say nothing reaches them: neither can call the other, so both go through w1, the founder
        String h4Key = host.run("ssh", "-i", "h4", "--", "wg", "show", "mosvm0", "public-key").ok().out().strip();
        waitUntil("w2", "wg show mosvm0 peers", s -> !s.contains(h4Key), 30); // w2 has no peer for h4
        String w1Key = sh("w1", "wg show mosvm0 public-key");
        String allowed = Await.until("h4 sends w2's packets to w1, which relays them", Duration.ofSeconds(30), Duration.ofSeconds(1),
                () -> host.run("ssh", "-i", "h4", "--", "wg", "show", "mosvm0", "allowed-ips").ok().out(),
                a -> a.lines().anyMatch(l -> l.startsWith(w1Key) && l.contains("10.77.0.2/32")));
        System.out.println("h4's peers and what they carry: " + allowed.strip().replace('\n', ';'));
        long relayedStart = System.nanoTime();
        String where = host.run("ssh", "-i", "h4", "--", "bash", "-c", ADD_ALICE + "; mkdir -p /pool/h4/x && cd /pool/h4/x && echo from-h4 > in && runuser -u alice -- mosrun -r w2 sh -c 'cat in; hostname'")
                .ok().out().strip();
        System.out.printf("a job from h4 on w2 through the relay w1 (its home's files over NFS through w1): %.1f s%n", (System.nanoTime() - relayedStart) / 1e9);
        assertEquals("from-h4\nw2", where, "a job from the libvirt appliance runs on a workstation with its home's files, every packet through w1");
        // and w1 carries nothing else: what arrives on the overlay is routed only back onto it
        assertTrue(sh("w1", "ip rule show").contains("iif mosvm0 lookup 77"), "what arrives on the overlay is routed by table 77");
        assertTrue(sh("w1", "ip route show table 77").contains("unreachable default"), "nothing but the overlay from the overlay");
    }
}

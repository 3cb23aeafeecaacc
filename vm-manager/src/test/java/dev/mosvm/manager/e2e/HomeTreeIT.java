package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The home's whole tree on every node (docs/ssi.md), on the run's pool of two: a job's root is
 * /pool/.homes/HOME (at home a bind of its "/", elsewhere its "/" over NFS), so a Debian program
 * installed with apt-get on ca alone runs on cb and moves there and back mid-run, by hand and by
 * the balancer, printing exactly what an unmoved run prints; and a job started in a directory
 * outside /pool (a user's home directory) runs on cb in it; a user added at home while jobs on cb
 * read its user list is added, and known to them at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(2) // on the pool of two, whole, before the classes that destroy cb
@Tag(E2eGroups.POOL_OF_TWO)
class HomeTreeIT extends PoolTestBase {
    static final String DIR = "/pool/ca/ssi";
    /**
     * Digits of pi bc computes: about 40 s of one emulated CPU alone (2000 digits took 9 s, and
     * the time grows nearly as the cube), enough to outlast two moves. bc prints only at the end,
     * so the output checks every step of a long computation that moved.
     */
    static final int SCALE = Integer.getInteger("ssi.scale", 3500);

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        for (String vm : PoolOfTwo.NODES) {
            sh(vm, ADD_ALICE);
            install(vm, "/usr/local/bin/bg-job", resource("bg-job"), "755");
        }
        sh("ca", "mkdir -p " + DIR + " && chown alice: " + DIR);
        install("ca", DIR + "/pi.bc", ("scale=" + SCALE + "\n4*a(1)\nquit\n").getBytes(), "644");
    }

    @AfterAll
    void balancersOff() throws Exception {
        cli.run("balance", "-i", "ca", "off");
    }

    @Test
    @Order(1)
    void aProgramInstalledAtHomeWithAptMovesAndPrintsWhatAnUnmovedRunPrints() throws Exception {
        // apt-get at ca only: cb has neither the program nor its libraries
        sh("ca", "command -v bc >/dev/null || { apt-get -q update >/dev/null && apt-get -q install -y --no-install-recommends bc >/dev/null; }");
        assertEquals("/usr/bin/bc", sh("ca", "command -v bc"));
        assertEquals("", sh("cb", "command -v bc || true"), "bc is installed on ca alone");
        assertTrue(criuWorks("ca"));

        // the unmoved run, pinned at home, beside the one that moves
        sh("ca", "cd " + DIR + " && rm -f ref.* moved.*; su alice -c 'bg-job " + DIR + " ref -L bc -l pi.bc; bg-job " + DIR + " moved bc -q -l pi.bc'");
        String id = waitForJob("ca", "-q", 60).get("id").asText();
        String there = sh("ca", "su alice -c 'migrate " + id + " cb'");
        assertTrue(there.startsWith(id + " moved ca -> cb"), there);
        assertEquals("/pool/.homes/ca/usr/bin/bc", sh("cb", "readlink /proc/$(pgrep -f '^bc -q')/exe"),
                "on cb the program is ca's, in ca's tree");
        assertEquals("/pool/.homes/ca", sh("cb", "readlink /proc/$(pgrep -f '^bc -q')/root"), "its root is ca's tree");
        String back = sh("ca", "su alice -c 'migrate " + id + " home'");
        assertTrue(back.startsWith(id + " moved cb -> ca"), back);
        assertEquals(2, job("ca", id).get("migrations").asInt());

        waitUntil("ca", "cat " + DIR + "/ref.status " + DIR + "/moved.status 2>/dev/null | wc -l", "2"::equals, 600);
        String ref = sh("ca", "cat " + DIR + "/ref.out");
        assertTrue(ref.startsWith("3.14159265358979"), "bc computed pi: " + ref + sh("ca", "cat " + DIR + "/ref.err"));
        assertEquals("0", sh("ca", "cat " + DIR + "/moved.status"), sh("ca", "cat " + DIR + "/moved.err"));
        assertEquals(ref, sh("ca", "cat " + DIR + "/moved.out"), "byte for byte what the unmoved run printed");

        // the balancer moves one of two such jobs to the idle cb by itself
        cli.run("balance", "-i", "ca", "on").ok();
        try {
            sh("ca", "cd " + DIR + " && rm -f b1.* b2.*; su alice -c 'bg-job " + DIR + " b1 -h bc -l pi.bc; bg-job " + DIR + " b2 -h bc -l pi.bc'");
            JsonNode moved = Await.until("the balancer moves one of the two to cb", Duration.ofMinutes(4), Duration.ofSeconds(3),
                    () -> jobs("ca"), js -> {
                        for (JsonNode j : js) if ("cb".equals(j.get("where").asText())) return true;
                        return false;
                    });
            System.out.println("home tree e2e: balanced " + moved);
            waitUntil("ca", "cat " + DIR + "/b1.status " + DIR + "/b2.status 2>/dev/null | wc -l", "2"::equals, 600);
            for (String b : List.of("b1", "b2")) {
                assertEquals("0", sh("ca", "cat " + DIR + "/" + b + ".status"), sh("ca", "cat " + DIR + "/" + b + ".err"));
                assertEquals(ref, sh("ca", "cat " + DIR + "/" + b + ".out"), b);
            }
        } finally {
            cli.run("balance", "-i", "ca", "off").ok();
        }
        int balanced = 0;
        for (JsonNode m : cli.nodes("ca").get("moves")) {
            if (!m.hasNonNull("error") && "balanced".equals(m.get("reason").asText()) && "ca".equals(m.get("from").asText())) balanced++;
        }
        assertTrue(balanced >= 1, "the balancer moved a job off ca: " + cli.nodes("ca").get("moves"));
    }

    @Test
    @Order(2)
    void aJobStartedInAUsersHomeDirectoryRunsOnAnotherNodeThere() throws Exception {
        // a directory outside /pool, which only ca has: the job finds it on cb in ca's tree
        sh("ca", "su alice -c 'mkdir -p /home/alice/data && echo \"from ca home\" > /home/alice/data/in.txt'");
        assertEquals("no", sh("cb", "test -e /home/alice/data && echo yes || echo no"), "cb has no such directory of its own");
        String out = sh("ca", "su alice -c 'cd /home/alice/data && mosrun -r cb sh -c \"pwd; cat in.txt; hostname\"'");
        assertEquals("/home/alice/data\nfrom ca home\ncb", out);
    }

    @Test
    @Order(3)
    void aUserAddedAtHomeWhileItsJobsElsewhereLookUpUsersIsAddedAndKnownToThemAtOnce() throws Exception {
        // jobs on cb read ca's /etc/passwd and /etc/group through ca's tree: the shadow tools at ca
        // open them for writing without blocking, and must not be refused while they do
        String lookups = sh("ca", "su alice -c 'cd /pool/ca && mosrun -r cb sh -c \"id alice; getent group alice; cat /etc/passwd /etc/group >/dev/null\"'");
        assertEquals("uid=1500(alice) gid=1500(alice) groups=1500(alice)\nalice:x:1500:", lookups);
        sh("ca", "userdel -r erin >/dev/null 2>&1 || true");
        MosvmCli.Result added = cli.run("ssh", "-i", "ca", "--", "useradd", "-m", "-u", "1600", "erin");
        assertEquals(0, added.exit(), "useradd at home while cb's jobs read its user list: " + added.err());
        assertEquals("uid=1600(erin) gid=1600(erin) groups=1600(erin)", sh("ca", "su alice -c 'cd /pool/ca && mosrun -r cb id erin'"),
                "a job on cb knows the new user at once");
        sh("ca", "userdel -r erin");
    }
}

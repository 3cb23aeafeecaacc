package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
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
 * The workstation's folders in the pool (docs/host-folders.md), on the run's pool of two: this
 * host's folders shown in the running ca by `mosvm up ca --mount` (reverse sshfs over ssh, served
 * by the host's sftp-server as the host user), a program built at home in a user's home directory
 * started from the host with `mosvm run` in a folder, moved to cb mid-run while it reads its input
 * from the folder, and its result written there from cb and seen on the host. mosvm runs as root
 * here as under sudo by alice (SUDO_USER), a host account the test makes when there is none
 * (HostAccount).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(3) // after HomeTreeIT, whose package lists it reuses; before the classes that destroy cb
@Tag(E2eGroups.POOL_OF_TWO)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostFoldersIT extends PoolTestBase {
    static final int ALICE = 1500;
    static final int ROUNDS = 25;
    HostAccount host;
    int hostUid;
    Path readOnly;
    Path work;
    MosvmCli alice;

    @BeforeAll
    void foldersOfAHostUser(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        host = HostAccount.ensure("alice", ALICE);
        hostUid = host.uid();
        alice = host.sudo(cli);
        sh("ca", ADD_ALICE + " && chmod 755 /home/alice && mkdir -p /home/alice/src");
        sh("cb", ADD_ALICE);
        Path base = Files.createTempDirectory(Path.of("/tmp"), "mosvm-e2e-folders-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        readOnly = Files.createDirectory(base.resolve("papers"));
        work = Files.createDirectory(base.resolve("work"));
        Files.writeString(readOnly.resolve("note.txt"), "from the host\n");
        StringBuilder input = new StringBuilder();
        for (int i = 1; i <= ROUNDS; i++) input.append(i * 7919L % 10007).append('\n');
        Files.writeString(work.resolve("input.txt"), input);
        for (Path p : new Path[] {readOnly, readOnly.resolve("note.txt"), work, work.resolve("input.txt")}) {
            Files.setAttribute(p, "unix:uid", hostUid);
        }
    }

    @AfterAll
    void noFolders() throws Exception {
        try {
            if (alice != null) {
                alice.run("up", "ca", "--mount", "none").ok();
                assertEquals("none", sh("ca", "findmnt -rn -t fuse.sshfs -o TARGET | grep -v '^/pool/' | head -1 | grep . || echo none"), "every folder unmounted");
                // and from the tree by the agent, within its next rounds
                waitUntil("ca", "findmnt -rn -t fuse.sshfs -o TARGET | head -1 | grep . || echo none", "none"::equals, 30);
            }
        } finally {
            if (host != null) host.close();
            if (work != null) dev.mosvm.builder.SafeDelete.deleteTree(work.getParent()); // the folders, as the test made them
        }
    }

    @Test
    @Order(1)
    void foldersAppearAtTheirPathsReadOnlyUnlessAskedAndBadInputIsRefused() throws Exception {
        MosvmCli.Result up = alice.run("up", "ca", "--mount", readOnly.toString(), "--mount", work + ":rw").ok();
        assertTrue(up.out().contains("host folders " + readOnly + ":ro, " + work + ":rw"), up.out());
        assertEquals("from the host", sh("ca", "cat " + readOnly + "/note.txt"));
        assertEquals("alice alice", sh("ca", "stat -c '%U %G' " + work + "/input.txt"), "the files are the appliance's alice's, as they are uid 1500's here");
        assertTrue(sh("ca", "su alice -c 'touch " + readOnly + "/x' 2>&1 || true").contains("Read-only file system"));
        sh("ca", "su alice -c 'echo made in ca > " + work + "/from-ca.txt'");
        assertEquals("made in ca\n", Files.readString(work.resolve("from-ca.txt")), "the host sees what ca writes");
        assertEquals(hostUid, Files.getAttribute(work.resolve("from-ca.txt"), "unix:uid"), "written as the host user, not as root");
        Files.delete(work.resolve("from-ca.txt"));
        // cb's alice sees them in ca's tree, through ca's NFS server
        assertEquals("from the host", sh("cb", "su alice -c 'cat /pool/.homes/ca" + readOnly + "/note.txt'"));

        // bad input: one line each, and the folders stay as they were
        alice.run("up", "ca", "--mount", "/tmp/mosvm-e2e-no-such-folder").fails(2, "/tmp/mosvm-e2e-no-such-folder does not exist on this host");
        alice.run("up", "ca", "--mount", work.resolve("input.txt") + ":rw").fails(2, "is not a folder");
        Path closed = Files.createDirectory(work.getParent().resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        alice.run("up", "ca", "--mount", closed.toString()).fails(2, "alice (uid " + hostUid + ") cannot read " + closed + " on this host");
        alice.run("up", "ca", "--mount", "/etc/mosvm").fails(2, "lies in the appliance's /etc");
        alice.in(Path.of("/")).run("run", "-i", "ca", "--", "true").fails(2, "/ is not in a folder ca shows (it shows " + readOnly + ", " + work + ")");
        assertEquals(2, Integer.parseInt(sh("ca", "findmnt -rn -t fuse.sshfs -o TARGET | grep -vc '^/pool/'")), "both folders still mounted");

        // read-only on the host's side: root in ca remounting the folder writable still writes nothing here
        sh("ca", "mount -o remount,rw " + readOnly + " 2>/dev/null; echo forced > " + readOnly + "/forced 2>/dev/null; true");
        assertTrue(Files.notExists(readOnly.resolve("forced")), "the host's sftp-server refuses writes to a read-only folder");

        // a session lost (sshfs killed in ca) is made again by the keeper, and ca's jobs read through it again;
        // cb, which had crossed into the old session's export above, lets go of that crossing and reads the new one
        String crossing = "/pool/.homes/ca" + readOnly;
        assertEquals(crossing, sh("cb", "findmnt -rn -t nfs4 -o TARGET | grep -x '" + crossing + "' || true"), "cb crossed into ca's folder");
        sh("ca", "pkill -x sshfs");
        waitUntil("ca", "findmnt -rn -t fuse.sshfs -o TARGET | grep -vc '^/pool/' || true", "2"::equals, 60);
        waitUntil("ca", "cat /pool/.homes/ca" + readOnly + "/note.txt 2>&1 || true", "from the host"::equals, 60);
        waitUntil("cb", "su alice -c 'cat " + crossing + "/note.txt' 2>&1 || true", "from the host"::equals, 45);
    }

    @Test
    @Order(2)
    void aProgramBuiltAtHomeReadsAHostFolderMovesAndWritesItsResultThere() throws Exception {
        // built with tcc at ca, in alice's home directory: cb has neither the compiler nor the program
        sh("ca", "{ command -v tcc && test -e /usr/include/stdio.h; } >/dev/null || { ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get -q update >/dev/null; "
                + "apt-get -q install -y --no-install-recommends tcc libc6-dev >/dev/null; }");
        install("ca", "/home/alice/src/fold.c", """
                #include <stdio.h>
                #include <unistd.h>
                /* reads a number a second from input.txt, folds them, writes the result to result.txt (opened at the end) */
                int main(void) {
                    FILE *in = fopen("input.txt", "r");
                    if (!in) { perror("input.txt"); return 1; }
                    unsigned long long acc = 1, x; int n = 0;
                    while (fscanf(in, "%llu", &x) == 1) { acc = (acc * 31 + x) % 1000000007ULL; n++; printf("round %d\\n", n); fflush(stdout); sleep(1); }
                    FILE *out = fopen("result.txt", "w");
                    if (!out) { perror("result.txt"); return 1; }
                    fprintf(out, "%d %llu\\n", n, acc); fclose(out);
                    printf("folded %d\\n", n); return 0;
                }
                """.getBytes(StandardCharsets.UTF_8), "644");
        sh("ca", "chown -R alice: /home/alice/src && su alice -c 'cd /home/alice/src && tcc -o fold fold.c' && chmod 755 /home/alice/src");
        assertEquals("missing", sh("cb", "command -v tcc || test -e /home/alice/src/fold || echo missing"));

        Process run = alice.in(work).start("run", "-i", "ca", "--", "/home/alice/src/fold");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try {
                run.getInputStream().transferTo(out);
            } catch (java.io.IOException e) {
                // ends with the process
            }
        });
        reader.start();
        var job = waitForJob("ca", "/home/alice/src/fold", 120);
        String id = job.get("id").asText();
        assertEquals("alice", job.get("user").asText(), "run as the host user's appliance user, not root");
        Await.until("the job's second round", java.time.Duration.ofSeconds(120), java.time.Duration.ofSeconds(1),
                () -> out.toString(StandardCharsets.UTF_8), s -> s.contains("round 2\n")); // it has read from the folder: now it moves
        cli.run("migrate", "-i", "ca", id, "cb").ok();
        assertEquals("cb", job("ca", id).get("where").asText());

        assertTrue(run.waitFor(5, TimeUnit.MINUTES), "the job ends");
        reader.join(10_000);
        String said = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, run.exitValue(), said + new String(run.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertTrue(said.contains("round 1\n") && said.contains("folded " + ROUNDS + "\n"), said);
        long acc = 1;
        for (String l : Files.readAllLines(work.resolve("input.txt"))) acc = (acc * 31 + Long.parseLong(l)) % 1000000007L;
        assertEquals(ROUNDS + " " + acc + "\n", Files.readString(work.resolve("result.txt")), "the result, written from cb, is in the host's folder");
        assertEquals(hostUid, Files.getAttribute(work.resolve("result.txt"), "unix:uid"));
    }
}

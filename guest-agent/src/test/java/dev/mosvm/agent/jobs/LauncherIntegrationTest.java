package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The appliance's job launcher (images/files/usr/local/src/mosvm-launch.c) as the agent runs
 * it, on this machine as root: the program runs as the caller's user, PID 2 of its own
 * namespace, while the namespace's init (tini) stays root, which CRIU needs to dump the job
 * (its parasite mounts a proc for the namespace from inside that init: CI failed every
 * migration when the launcher took the user before becoming tini). That init works in the
 * job's own directory, not the caller's, where the parasite's mount point clashed with
 * another node's dump of a job from the same shared directory (CI, 2026-12-04).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LauncherIntegrationTest {
    static final int NOBODY = 65534;
    Path dir;
    Path launcher;
    Path initDir;
    Path work;

    @BeforeAll
    void build() throws Exception {
        NativeTools.assertCanLaunchJobs();
        dir = Files.createTempDirectory("mosvm-launch");
        launcher = NativeTools.compile("mosvm-launch", dir);
        initDir = Files.createDirectory(dir.resolve("init"));
        work = Files.createTempDirectory("mosvm-launch-work"); // 0700, root's: nobody may not enter it
    }

    @AfterAll
    void clean() throws Exception {
        for (Path p : List.of(launcher, initDir, dir, work)) Files.deleteIfExists(p);
    }

    Process launch(int uid, String... argv) throws Exception {
        return launchIn(Path.of("/tmp"), uid, argv);
    }

    Process launchIn(Path cwd, int uid, String... argv) throws Exception {
        List<String> cmd = new ArrayList<>(LaunchCommand.of(launcher.toString(), List.of(argv), uid, uid, null, initDir.toString()));
        return new ProcessBuilder(cmd).directory(cwd.toFile()).start();
    }

    @Test
    void theProgramRunsAsTheCallerUnderARootInit() throws Exception {
        // the job prints who it is and waits for its input to end, so its process tree can be read meanwhile
        Process p = launch(NOBODY, "sh", "-c", "id -u; id -g; echo $$; cat");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals(String.valueOf(NOBODY), out.readLine(), "uid of the program");
        assertEquals(String.valueOf(NOBODY), out.readLine(), "gid of the program");
        assertEquals("2", out.readLine(), "PID 2: tini is PID 1 of the job's namespace");

        long init = onlyChild(p.pid());
        assertEquals("tini-static", comm(init), "the namespace's init");
        assertEquals(0, uid(init), "the namespace's init stays root (CRIU mounts its proc from there)");
        assertEquals(initDir, cwd(init), "the init works in the job's own directory, not the caller's");
        long program = onlyChild(init);
        assertEquals(NOBODY, uid(program), "the program below it");
        assertEquals(Path.of("/tmp"), cwd(program), "the program works in the caller's directory");

        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theProgramsStatusIsTheLaunchersAndAMissingProgramIs127() throws Exception {
        Process p = launch(NOBODY, "sh", "-c", "exit 7");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(7, p.exitValue());

        Process missing = launch(NOBODY, "/no/such/program");
        assertTrue(missing.waitFor(30, TimeUnit.SECONDS));
        assertEquals(127, missing.exitValue());
        assertTrue(new String(missing.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).contains("/no/such/program"));
    }

    @Test
    void aJobIsConfinedAndStillRunsOrdinaryPrograms() throws Exception {
        // as root, which the filter holds as it holds anyone: each attempt says whether it was refused
        String attempts = String.join("; ",
                "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t' ' '",
                "unshare -U true 2>/dev/null && echo unshare: allowed || echo unshare: refused",
                "unshare -m true 2>/dev/null && echo mount namespace: allowed || echo mount namespace: refused",
                "mount -t tmpfs none " + work + " 2>/dev/null && echo mount: allowed || echo mount: refused",
                "chroot / true 2>/dev/null && echo chroot: allowed || echo chroot: refused",
                "perl -e 'syscall(272, 0x00020000) == -1 and print qq{unshare by number: $!\n}'", // unshare(CLONE_NEWNS)
                // clone(CLONE_NEWUSER|SIGCHLD): unconfined, the child would return 0 and print nothing, as its parent
                "perl -e '$r = syscall(56, 0x10000011, 0, 0, 0, 0); $r == -1 and print qq{clone with a namespace: $!\n}; $r == 0 and exit'",
                "perl -e 'syscall(272, 0x00000400) == 0 and print qq{unshare of files: allowed\n}'", // unshare(CLONE_FILES)
                "sh -c 'echo child: ran' & wait",
                "perl -e 'use threads; threads->create(sub { print qq{thread: ran\n} })->join'");
        Process p = launch(0, "sh", "-c", attempts);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("""
                NoNewPrivs: 1
                Seccomp: 2
                unshare: refused
                mount namespace: refused
                mount: refused
                chroot: refused
                unshare by number: Operation not permitted
                clone with a namespace: Operation not permitted
                unshare of files: allowed
                child: ran
                thread: ran
                """, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue());
        // the job shares this test's mount namespace: a mount it made would show here
        assertTrue(!Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + work + " "), "nothing was mounted on " + work);
    }

    @Test
    void aRootJobAlsoRunsInTheCallersDirectory() throws Exception {
        Process p = launchIn(work, 0, "sh", "-c", "pwd; id -u");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(work + "\n0\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue());
    }

    @Test
    void aDirectoryTheUserCannotEnterIsAOneLineErrorAnd127() throws Exception {
        Process p = launchIn(work, NOBODY, "true");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(127, p.exitValue());
        assertEquals("mosvm-launch: cannot enter " + work + ": Permission denied\n", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void withAHomesTreeTheProgramHasItAsItsRootAndTheInitStaysOnTheNode() throws Exception {
        // a home's tree as the appliance makes it at home: "/" bound on a directory (docs/ssi.md)
        Path tree = Files.createDirectory(dir.resolve("tree"));
        run("mount", "--bind", "/", tree.toString());
        try {
            run("mount", "--make-private", tree.toString());
            List<String> cmd = LaunchCommand.of(launcher.toString(), List.of("sh", "-c", "pwd; id -u; cat"), NOBODY, NOBODY, null,
                    initDir.toString(), null, tree.toString());
            Process p = new ProcessBuilder(cmd).directory(tree.resolve("tmp").toFile()).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("/tmp", out.readLine(), "the caller's directory, as a path inside the tree");
            assertEquals(String.valueOf(NOBODY), out.readLine());
            long init = onlyChild(p.pid());
            assertEquals(Path.of("/"), Files.readSymbolicLink(Path.of("/proc", String.valueOf(init), "root")), "tini keeps the node's root");
            long program = onlyChild(init);
            assertEquals(tree, Files.readSymbolicLink(Path.of("/proc", String.valueOf(program), "root")), "the program's root is the tree");
            p.getOutputStream().close();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));

            Process outside = new ProcessBuilder(LaunchCommand.of(launcher.toString(), List.of("true"), NOBODY, NOBODY, null, initDir.toString(),
                    null, tree.toString())).directory(new java.io.File("/tmp")).start();
            assertTrue(outside.waitFor(30, TimeUnit.SECONDS));
            assertEquals(127, outside.exitValue());
            assertEquals("mosvm-launch: the working directory /tmp is not in the home's tree " + tree + "\n",
                    new String(outside.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            run("umount", tree.toString());
            Files.delete(tree);
        }
    }

    @Test
    void aPersonsJobTakesNoSystemGroupsAndASystemAccountsKeepsThem() throws Exception {
        // a home's tree whose /etc/passwd and /etc/group are the test's: carol (1700) is in disk,
        // adm, users and a group of people; daemon (1) in disk
        Path tree = Files.createDirectory(dir.resolve("grouped"));
        Path etc = Files.createDirectory(dir.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "carol:x:1700:1700::/tmp:/bin/sh\ndaemon:x:1:1::/tmp:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "disk:x:6:carol,daemon\nadm:x:4:carol\nusers:x:100:carol\ncarol:x:1700:\nproj:x:2000:carol\n");
        run("mount", "--bind", "/", tree.toString());
        try {
            run("mount", "--make-private", tree.toString());
            for (String f : List.of("passwd", "group")) run("mount", "--bind", etc.resolve(f).toString(), tree.resolve("etc").resolve(f).toString());
            assertEquals("1700 100 2000", groupsIn(tree, 1700, 1700), "carol's job: her own group, users and proj; no disk or adm");
            assertEquals("1 6", groupsIn(tree, 1, 1), "a system account's job (it stays home) keeps its groups");
        } finally {
            for (String f : List.of("passwd", "group")) new ProcessBuilder("umount", tree.resolve("etc").resolve(f).toString()).start().waitFor();
            run("umount", tree.toString());
            Files.delete(tree);
            for (String f : List.of("passwd", "group")) Files.delete(etc.resolve(f));
            Files.delete(etc);
        }
    }

    /** `id -G` of a job of uid and gid launched with {@code tree} as its home's tree. */
    private String groupsIn(Path tree, int uid, int gid) throws Exception {
        Process p = new ProcessBuilder(LaunchCommand.of(launcher.toString(), List.of("id", "-G"), uid, gid, null, initDir.toString(), null,
                tree.toString())).directory(tree.resolve("tmp").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    @Test
    void badArgumentsGiveOneLineAnd127() throws Exception {
        Process p = new ProcessBuilder(launcher.toString(), "-", "-", "alice", "0", "true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(127, p.exitValue());
        assertEquals("mosvm-launch: UID must be a number, not 'alice'\n", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static long onlyChild(long pid) throws Exception {
        String children = Files.readString(Path.of("/proc", String.valueOf(pid), "task", String.valueOf(pid), "children")).trim();
        assertTrue(children.matches("\\d+"), "one child of " + pid + ": '" + children + "'");
        return Long.parseLong(children);
    }

    static Path cwd(long pid) throws Exception {
        return Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "cwd"));
    }

    static String comm(long pid) throws Exception {
        return Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).trim();
    }

    static int uid(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("Uid:")) return Integer.parseInt(line.split("\\s+")[1]);
        }
        throw new AssertionError("no Uid line for " + pid);
    }
}

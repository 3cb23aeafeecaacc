package dev.mosvm.agent.homefs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.homefs.FolderExports.Action;
import dev.mosvm.agent.homefs.FolderExports.Exported;
import dev.mosvm.agent.homefs.FolderExports.Kind;
import dev.mosvm.agent.homefs.FolderExports.Mount;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FolderExportsTest {
    static final Mount M = new Mount("0:60", 90, true);
    static final Mount BIND = new Mount("0:60", 91, true);

    @Test
    void aNewFolderIsBoundInTheTreeAndExportedToEveryMember() {
        List<Action> plan = FolderExports.plan(Map.of("/home/bob/data", M), Map.of(), Map.of(), Set.of("10.0.0.2"));
        assertEquals(List.of(new Action(Kind.BIND, "/home/bob/data", M, null), new Action(Kind.EXPORT, "/home/bob/data", M, "10.0.0.2")), plan);
        assertEquals(List.of(), FolderExports.plan(Map.of("/home/bob/data", M), Map.of("/home/bob/data", BIND),
                Map.of("/home/bob/data", new Exported(M, Set.of("10.0.0.2"))), Set.of("10.0.0.2")), "all in place: nothing to do");
    }

    @Test
    void aFolderMountedAgainIsBoundAndExportedAgainEvenOnTheSameDevice() {
        Mount again = new Mount("0:61", 95, true);
        assertEquals(List.of(new Action(Kind.UNBIND, "/tmp/x", BIND, null), new Action(Kind.UNEXPORT, "/tmp/x", M, "10.0.0.2"),
                        new Action(Kind.BIND, "/tmp/x", again, null), new Action(Kind.EXPORT, "/tmp/x", again, "10.0.0.2")),
                FolderExports.plan(Map.of("/tmp/x", again), Map.of("/tmp/x", BIND), Map.of("/tmp/x", new Exported(M, Set.of("10.0.0.2"))), Set.of("10.0.0.2")));
        // the kernel may give the new session the old device number once the old one is gone: its mount id still differs
        Mount sameDevice = new Mount("0:60", 96, true);
        assertEquals(List.of(new Action(Kind.UNEXPORT, "/tmp/x", M, "10.0.0.2"), new Action(Kind.EXPORT, "/tmp/x", sameDevice, "10.0.0.2")),
                FolderExports.plan(Map.of("/tmp/x", sameDevice), Map.of("/tmp/x", BIND), Map.of("/tmp/x", new Exported(M, Set.of("10.0.0.2"))),
                        Set.of("10.0.0.2")));
    }

    @Test
    void aFolderGoneOrAMemberGoneIsTakenBack() {
        assertEquals(List.of(new Action(Kind.UNBIND, "/tmp/x", BIND, null), new Action(Kind.UNEXPORT, "/tmp/x", M, "10.0.0.2")),
                FolderExports.plan(Map.of(), Map.of("/tmp/x", BIND), Map.of("/tmp/x", new Exported(M, Set.of("10.0.0.2"))), Set.of("10.0.0.2")));
        assertEquals(List.of(new Action(Kind.UNEXPORT, "/tmp/x", M, "10.0.0.2")),
                FolderExports.plan(Map.of("/tmp/x", M), Map.of("/tmp/x", BIND), Map.of("/tmp/x", new Exported(M, Set.of("10.0.0.2"))), Set.of()));
    }

    @Test
    void aHomeOnlyFolderOrOneOutsideTheTreesDirectoriesIsBoundAtHomeButNotExported() {
        assertEquals(List.of(new Action(Kind.BIND, "/Users/bob", M, null)), FolderExports.plan(Map.of("/Users/bob", M), Map.of(), Map.of(), Set.of("10.0.0.2")));
        Mount home = new Mount("0:62", 97, false);
        assertEquals(List.of(new Action(Kind.BIND, "/home/bob", home, null)), FolderExports.plan(Map.of("/home/bob", home), Map.of(), Map.of(), Set.of("10.0.0.2")));
        assertTrue(FolderExports.reachesOtherNodes("/home/bob"));
        assertFalse(FolderExports.reachesOtherNodes("/home"));
        assertFalse(FolderExports.reachesOtherNodes("/etc/x"));
        assertFalse(FolderExports.reachesOtherNodes("/homework/x"));
        assertFalse(FolderExports.reachesOtherNodes("/tmp/../etc"));
    }

    @Test
    void readsMosvmsSshfsMountsFromMountinfoAndNoOneElses() {
        String info = """
                22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
                90 22 0:60 / /home/bob/my\\040data rw,nosuid,nodev,relatime shared:50 - fuse.sshfs mosvm-pool:4242 rw,user_id=0,group_id=0,allow_other
                91 80 0:60 / /pool/.homes/a/home/bob/my\\040data rw,nosuid,nodev,relatime - fuse.sshfs mosvm-pool:4242 rw,user_id=0,group_id=0
                93 22 0:63 / /home/bob rw,relatime - fuse.sshfs mosvm-home:4242 ro,user_id=0,group_id=0
                92 22 0:61 / /mnt/nfs rw - nfs4 10.0.0.2:/tmp rw
                94 22 0:64 / /home/eve/x rw - fuse.sshfs eve@server:/x rw,user_id=1001,group_id=1001
                95 22 0:65 / /home/eve/y rw - fuse.sshfs mosvm-pool:1 rw,user_id=1001,group_id=1001
                """;
        assertEquals(Map.of("/home/bob/my data", new Mount("0:60", 90, true), "/pool/.homes/a/home/bob/my data", new Mount("0:60", 91, true),
                "/home/bob", new Mount("0:63", 93, false)), FolderExports.hostFolders(info), "a user's own sshfs mounts are not host folders");
        assertEquals(Map.of(), FolderExports.hostFolders("garbage\n\n1 2 3 - fuse.sshfs\nx 22 0:1 / /tmp/x rw - fuse.sshfs mosvm-pool:1 user_id=0\n"),
                "a line short of fields or without a mount id is not a mount");
    }
    @Test
    void theCrossingsIntoAnotherNodesFoldersAreTheNfsMountsBelowItsTreesFolderHoldingDirectories() {
        String info = """
                22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
                100 22 0:70 / /pool/.homes/ca rw - tmpfs mosvm-tree rw
                101 100 0:71 / /pool/.homes/ca/tmp rw,nosuid,nodev - nfs4 10.0.0.2:/tmp rw
                102 100 0:72 / /pool/.homes/ca/usr rw,nosuid,nodev - nfs4 10.0.0.2:/usr rw
                103 100 0:73 / /pool/.homes/ca/pool/ca rw - nfs4 10.0.0.2:/pool/ca rw
                104 101 0:74 / /pool/.homes/ca/tmp/e2e/my\\040work rw,nosuid,nodev - nfs4 10.0.0.2:/tmp/e2e/my\\040work rw
                105 100 0:75 / /pool/.homes/ca/home rw,nosuid,nodev - nfs4 10.0.0.2:/home rw
                106 105 0:76 / /pool/.homes/ca/home/alice/papers rw,nosuid,nodev - nfs4 10.0.0.2:/home/alice/papers rw
                107 102 0:77 / /pool/.homes/ca/usr/local/x rw - nfs4 10.0.0.2:/usr/local/x rw
                108 100 0:78 / /pool/.homes/cab/tmp/y rw - nfs4 10.0.0.3:/tmp/y rw
                109 100 0:79 / /pool/.homes/ca/proc rw - proc proc rw
                """;
        assertEquals(List.of("/pool/.homes/ca/tmp/e2e/my work", "/pool/.homes/ca/home/alice/papers"), FolderExports.crossings(info, "/pool/.homes/ca"),
                "only below the directories that hold folders, not the tree's own mounts, another tree's or other filesystems");
        assertEquals(List.of(), FolderExports.crossings("garbage\n1 2 3 - nfs4\n", "/pool/.homes/ca"));
    }
    @Test
    void onlyAGoneExportsAnswerLetsGoOfACrossing() {
        assertTrue(FolderExports.exportGone("stat: cannot statx '/pool/.homes/ca/tmp/w/.': Stale file handle"));
        assertTrue(FolderExports.exportGone("stat: cannot statx '/pool/.homes/ca/tmp/w/.': No such file or directory"));
        assertFalse(FolderExports.exportGone(null), "it answered");
        assertFalse(FolderExports.exportGone("stat: cannot statx '/pool/.homes/ca/home/bob/private/.': Permission denied"),
                "a folder closed to others: root is nobody there");
        assertFalse(FolderExports.exportGone(""), "timed out or not run");
    }
}

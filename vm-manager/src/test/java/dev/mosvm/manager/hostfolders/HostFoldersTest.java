package dev.mosvm.manager.hostfolders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `up --mount`'s checks on this host's real files, before anything starts. */
class HostFoldersTest {
    @TempDir Path tmp;

    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Whoever runs the tests, or (as root) an unprivileged user of every Debian host standing for the one who ran sudo. */
    static HostUser someone() {
        return root() ? new HostUser("nobody", 65534, 65534, null) : new HostUser(System.getProperty("user.name"), -2, -2, null);
    }

    static String refusal(List<String> specs, HostUser u) {
        MosvmException e = assertThrows(MosvmException.class, () -> HostFolders.settingsFor(specs, u));
        assertEquals(ExitCodes.INVALID_INPUT, e.exitCode(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aMissingFolderAFileAndAFolderTheUserCannotReadAreRefused() throws Exception {
        assertTrue(refusal(List.of(tmp + "/missing"), someone()).contains(tmp + "/missing does not exist on this host"));
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertTrue(refusal(List.of(file + ":rw"), someone()).contains("is not a folder"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path closed = Files.createDirectory(tmp.resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (!root()) Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("---------"));
        String why = refusal(List.of(closed.toString()), someone());
        assertTrue(why.contains("cannot read " + closed + " on this host"), why);
    }

    @Test
    void aFolderTheUserReadsIsKeptWithWhoseItIs() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        HostUser u = someone();
        FolderSettings s = HostFolders.settingsFor(List.of(open + ":rw"), u);
        assertEquals(List.of(open + ":rw"), s.folders());
        assertEquals(u.applianceName(), s.applianceUser());
        assertEquals(u.uid(), s.hostUid());
    }

    @Test
    void withoutMountsAUsersHomeIsShownReadOnlyButRootsIsNot() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home/bob"));
        for (Path p : List.of(tmp, tmp.resolve("home"), home)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        HostUser bob = new HostUser("bob", someone().uid(), someone().gid(), Path.of("/nonexistent/home/bob"));
        assertEquals(List.of(), HostFolders.settingsFor(List.of(), bob).folders(), "a home that is not there is not shown");
        // a temporary directory stands in for /home/bob: the default only needs a folder the appliance can show
        HostUser bobHere = new HostUser("bob", someone().uid(), someone().gid(), home);
        FolderSettings dflt = HostFolders.settingsFor(List.of(), bobHere);
        assertEquals(List.of(home + ":ro"), dflt.folders());
        assertEquals(List.of(home.toString()), dflt.homeOnly(), "the default home is for jobs at home only");
        assertTrue(!dflt.parsed().get(0).pooled());
        assertEquals(List.of(), HostFolders.settingsFor(List.of(), new HostUser("root", 0, 0, Path.of("/root"))).folders(),
                "root's home is the appliance's own /root");
    }

    @Test
    void rootWithoutSudoMountsNothing() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        MosvmException e = assertThrows(MosvmException.class,
                () -> HostFolders.settingsFor(List.of(tmp + ":rw"), new HostUser("root", 0, 0, Path.of("/root"))));
        assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
        assertTrue(e.getMessage().contains("served as root"), e.getMessage());
        assertEquals(List.of(), HostFolders.settingsFor(List.of("none"), new HostUser("root", 0, 0, Path.of("/root"))).folders());
    }

    @Test
    void aHomeTheApplianceCannotShowAtItsPathIsNoDefault() throws Exception {
        Path odd = Files.createDirectories(tmp.resolve("it's"));
        for (Path p : List.of(tmp, odd)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of(), HostFolders.settingsFor(List.of(), new HostUser("bob", someone().uid(), someone().gid(), odd)).folders());
    }

    @Test
    void theKeepersMountCommandQuotesThePathNamesItsKeeperAndAsksReadOnlyUnlessWritable() {
        FolderSettings s = new FolderSettings(List.of("/tmp/a b"), List.of(), "alice", 1500, 1500, "alice", 1500, 1500);
        FolderKeeper k = new FolderKeeper("a", s, null, System.out);
        String script = k.guestScript(HostFolder.parse("/tmp/a b"));
        long pid = ProcessHandle.current().pid();
        assertTrue(script.contains("exec sshfs -f -o passive,allow_other,default_permissions,noforget,fsname=mosvm-pool:" + pid
                + ",uid=1500,gid=1500,ro :'/tmp/a b' '/tmp/a b'"), script);
        assertTrue(script.contains("[ \"$(readlink -f -- '/tmp/a b')\" = '/tmp/a b' ]"), "a symbolic link in the appliance is not followed: " + script);
        assertTrue(!k.guestScript(HostFolder.parse("/tmp/c:rw")).contains(",ro"));
        assertEquals("mosvm-home:7", FolderKeeper.source(new HostFolder(Path.of("/home/bob"), false, false), 7));
        // a % in the path reaches sftp-server nowhere: it would expand it
        assertEquals(List.of("/usr/lib/openssh/sftp-server", "-e", "-l", "ERROR", "-R"),
                SftpServer.command(Path.of("/usr/lib/openssh/sftp-server"), HostFolder.parse("/tmp/c%d"), new HostUser("root", 0, 0, null)));
    }
}

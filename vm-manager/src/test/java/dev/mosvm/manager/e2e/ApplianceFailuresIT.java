package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.builder.SafeDelete;
import dev.mosvm.api.ExitCodes;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every error case of `mosvm up` and the image build that can be provoked on this machine,
 * against the real daemon and the real builder: each must give one clear line, a non-zero
 * status, and leave nothing half-made. Cases that corrupt or remove an image work on a copy
 * of the cached image in a private cache, never on the shared one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag(E2eGroups.ONE_VM)
class ApplianceFailuresIT {
    Path home;
    Path privateCache;
    MosvmCli cli;
    String imageKey;

    Path sharedImage;

    @BeforeAll
    void setUp() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-fail");
        cli = new MosvmCli(home);
        // the shared cache's image for the current recipe and agent (built now if missing);
        // output: "image KEY (VERSION) in DIR: disk SIZE, SECONDS s"
        String built = cli.run("image", "build").ok().out();
        imageKey = built.split(" ")[1];
        sharedImage = Path.of(built.substring(built.indexOf(" in ") + 4, built.indexOf(": disk")));
        assertTrue(Files.isRegularFile(sharedImage.resolve("manifest.json")), built);
        privateCache = Files.createTempDirectory("mosvm-e2e-cache");
        copyImage(sharedImage, privateCache);
    }

    static void copyImage(Path image, Path cache) throws Exception {
        Path to = Files.createDirectories(cache.resolve("images").resolve(image.getFileName()));
        try (Stream<Path> s = Files.list(image)) {
            for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        for (String n : List.of("e2e-slow", "e2e-bad", "e2e-down")) cli.with("MOSVM_CACHE", privateCache.toString()).run("destroy", n);
        SafeDelete.deleteTree(privateCache);
        SafeDelete.deleteTree(home);
    }

    @Test
    void aGuestThatNeverBecomesReadyTimesOutShowingItsConsole() throws Exception {
        MosvmCli c = cli.with("MOSVM_CACHE", privateCache.toString());
        MosvmCli.Result r = c.run("up", "e2e-slow", "--timeout", "6");
        r.fails(ExitCodes.FAILED, "did not become ready");
        assertTrue(r.err().contains("last lines of the serial console"), r.err());
        assertTrue(r.err().contains("mosvm destroy e2e-slow"), "says how to clean up: " + r.err());
        assertEquals("shut off", MosvmCli.virsh("domstate", MosvmCli.domain("e2e-slow")), "not left running");
        assertTrue(c.run("list").ok().out().lines().anyMatch(l -> l.startsWith("e2e-slow") && l.contains("STOPPED")));

        // its base image disappears: the instance is shown BROKEN and `up` explains
        SafeDelete.deleteTree(privateCache.resolve("images").resolve(imageKey));
        String list = c.run("list").ok().out();
        assertTrue(list.contains("BROKEN") && list.contains("base image"), list);
        c.run("up", "e2e-slow").fails(ExitCodes.BAD_STATE, "is missing");

        c.run("destroy", "e2e-slow").ok();
        assertFalse(MosvmCli.virsh("list", "--all", "--name").lines().anyMatch(MosvmCli.domain("e2e-slow")::equals));
        assertFalse(Files.exists(home.resolve("e2e-slow")));
        copyImage(sharedImage, privateCache);
    }

    @Test
    void downDuringBootFallsBackToPowerOffAndUpSaysTheVmStopped() throws Exception {
        MosvmCli c = cli.with("MOSVM_CACHE", privateCache.toString());
        var up = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return c.run("up", "e2e-down", "--timeout", "300");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until("the VM started (its domain's state)", Duration.ofSeconds(60), Duration.ofMillis(200),
                () -> MosvmCli.virsh("domstate", MosvmCli.domain("e2e-down")), "running"::equals);
        // the agent is not up yet: down must fall back to ACPI, then pull the plug after 2 s
        MosvmCli.Result down = c.run("down", "e2e-down", "--timeout", "2").ok();
        assertTrue(down.err().contains("sending ACPI power button"), down.err());
        assertEquals("shut off", MosvmCli.virsh("domstate", MosvmCli.domain("e2e-down")));
        MosvmCli.Result r = up.get(5, java.util.concurrent.TimeUnit.MINUTES);
        r.fails(ExitCodes.FAILED, "the VM stopped during boot");
        c.run("destroy", "e2e-down").ok();
    }

    @Test
    void aCorruptImageIsRefusedBeforeAnythingIsCreated() throws Exception {
        Path bad = Files.createTempDirectory("mosvm-e2e-corrupt");
        copyImage(sharedImage, bad);
        try (RandomAccessFile f = new RandomAccessFile(bad.resolve("images").resolve(imageKey).resolve("disk.qcow2").toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0xff);
        }
        cli.with("MOSVM_CACHE", bad.toString()).run("up", "e2e-bad").fails(ExitCodes.BAD_STATE, "is corrupt");
        assertFalse(Files.exists(home.resolve("e2e-bad")), "no instance directory");
        assertFalse(MosvmCli.virsh("list", "--all", "--name").lines().anyMatch(MosvmCli.domain("e2e-bad")::equals), "no domain");
        SafeDelete.deleteTree(bad);
    }

    /*
     * Without a usable libvirt, `up` takes the qemu driver (QemuDriverIT) and `list` lists its
     * instances; asked for libvirt by name, `up` says what is wrong with it and makes nothing.
     */
    @Test
    void libvirtdNotRunningSaysHowToStartIt() throws Exception {
        MosvmCli c = cli.with("LIBVIRT_DEFAULT_URI", "qemu+unix:///system?socket=/nonexistent/libvirt-sock");
        c.run("up", "e2e-nolibvirt", "--driver", "libvirt").fails(ExitCodes.ENVIRONMENT, "libvirtd is not running");
        assertFalse(Files.exists(home.resolve("e2e-nolibvirt")), "nothing made");
        c.run("list").ok();
    }

    @Test
    void libvirtNotInstalledSaysWhatToInstall() throws Exception {
        MosvmCli c = cli.withoutLibvirt();
        MosvmCli.Result r = c.run("up", "e2e-nolibvirt", "--driver", "libvirt").fails(ExitCodes.ENVIRONMENT, "libvirt is not installed");
        assertTrue(r.err().contains("apt-get install"), "says what to install: " + r.err());
        assertFalse(Files.exists(home.resolve("e2e-nolibvirt")), "nothing made");
        c.run("list").ok();
        assertTrue(MosvmCli.virsh("version", "--daemon").contains("Running against daemon"), "the host's libvirt is untouched");
    }

    @Test
    void anUnprivilegedUserOnTheSystemDaemonIsToldWhy() throws Exception {
        Path h = Files.createTempDirectory("mosvm-e2e-nobody");
        h.toFile().setWritable(true, false);
        try {
            MosvmCli.Result r = new MosvmCli(h).with("LIBVIRT_DEFAULT_URI", "qemu:///system").asUser("nobody").run("up", "x", "--driver", "libvirt");
            r.fails(ExitCodes.ENVIRONMENT, "no permission to use qemu:///system");
        } finally {
            SafeDelete.deleteTree(h); // a failed assertion must not leave the directory behind
        }
    }

    @Test
    void buildFailuresLeaveNoHalfWrittenImage() throws Exception {
        Path cache = Files.createTempDirectory("mosvm-e2e-build");
        MosvmCli c = cli.with("MOSVM_CACHE", cache.toString());

        // a package the archive does not have
        Path recipeDir = Files.createTempDirectory("mosvm-e2e-recipe");
        Path images = Path.of(System.getProperty("mosvm.recipe")).toAbsolutePath().getParent();
        new ProcessBuilder("cp", "-r", images.resolve("files").toString(), recipeDir.toString()).start().waitFor();
        Path recipe = recipeDir.resolve("bad.yaml");
        Files.writeString(recipe, Files.readString(images.resolve("default.yaml")).replace("  - criu ", "  - no-such-package-mosvm\n  - criu "));
        c.run("image", "build", "--recipe", recipe.toString())
                .fails(ExitCodes.FAILED, "package 'no-such-package-mosvm' was not found");
        assertNoBuildLeftovers(cache);

        // mmdebstrap missing from PATH
        Path bin = Files.createTempDirectory("mosvm-e2e-bin");
        for (String tool : List.of("mkfs.ext4", "qemu-img")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of(tool.equals("qemu-img") ? "/usr/bin/qemu-img" : "/usr/sbin/mkfs.ext4"));
        }
        c.with("PATH", bin.toString()).run("image", "build").fails(ExitCodes.FAILED, "mmdebstrap is not installed");
        assertNoBuildLeftovers(cache);

        // not root
        cache.toFile().setWritable(true, false);
        c.asUser("nobody").run("image", "build").fails(ExitCodes.FAILED, "needs root");
        assertNoBuildLeftovers(cache);

        // no disk space: a 64 MiB tmpfs as the cache
        Path small = Files.createTempDirectory("mosvm-e2e-small");
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", small.toString()).start().waitFor());
        try {
            cli.with("MOSVM_CACHE", small.toString()).run("image", "build").fails(ExitCodes.FAILED, "not enough disk space");
            assertNoBuildLeftovers(small);
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
        for (Path p : List.of(cache, recipeDir, bin, small)) SafeDelete.deleteTree(p);
    }

    static void assertNoBuildLeftovers(Path cache) throws Exception {
        Path images = cache.resolve("images");
        if (!Files.isDirectory(images)) return;
        try (Stream<Path> s = Files.list(images)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).toList();
            assertEquals(List.of(), left, "no half-written image or build directory");
        }
    }
}

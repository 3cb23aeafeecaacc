package dev.mosvm.builder.steps;

import dev.mosvm.builder.ProcessRunner;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/** Puts the agent jar, the recipe's files tree and the image version into the root filesystem. */
public final class InstallAgent implements BuildStep {
    @Override public String description() { return "Installing the guest agent and appliance files"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        Path root = ctx.rootfs();
        Path lib = Files.createDirectories(root.resolve("usr/lib/mosvm"));
        Files.copy(ctx.agentJar, lib.resolve("mosvm-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
        Path tree = ctx.filesTree();
        if (tree != null) copyTree(tree, root);
        Path etc = Files.createDirectories(root.resolve("etc/mosvm"));
        Files.writeString(etc.resolve("image-version"), ctx.imageVersion() + "\n");
        Files.writeString(root.resolve("etc/hostname"), "mosvm\n");
        for (String unit : ctx.recipe.enableUnits()) {
            ProcessRunner.check(List.of("chroot", root.toString(), "systemctl", "enable", unit), "enabling " + unit, ctx.progress::detail);
        }
        // The console is reachable only by the host's root; no password login inside the appliance.
        ProcessRunner.check(List.of("chroot", root.toString(), "passwd", "-l", "root"), "locking root", l -> {});
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws java.io.IOException {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws java.io.IOException {
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}

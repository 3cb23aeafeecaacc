package dev.mosvm.builder.steps;

import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.BuildException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Moves kernel and initrd out of the root filesystem: the VM boots them directly, so keeping
 * copies inside the disk would only add ~30 MB of incompressible data. Also records the
 * versions of the packages the manifest names.
 */
public final class ExtractKernel implements BuildStep {
    static final List<String> REPORTED = List.of("criu", "openjdk-17-jre-headless", "systemd", "nfs-kernel-server");

    @Override public String description() { return "Extracting kernel and initrd"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        Path boot = ctx.rootfs().resolve("boot");
        moveNewest(boot, "vmlinuz-", ctx.work.resolve(ApplianceImage.KERNEL));
        moveNewest(boot, "initrd.img-", ctx.work.resolve(ApplianceImage.INITRD));
        readVersions(ctx);
    }

    private static void moveNewest(Path boot, String prefix, Path target) throws Exception {
        Path found;
        try (Stream<Path> s = Files.list(boot)) {
            found = s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().reduce((a, b) -> b).orElse(null);
        }
        if (found == null) {
            throw new BuildException("no " + prefix + "* in the root filesystem's /boot", "the recipe must install a linux-image-* package");
        }
        Files.move(found, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Parses dpkg's status file for the packages worth naming in the manifest. */
    static void readVersions(BuildContext ctx) throws Exception {
        Path status = ctx.rootfs().resolve("var/lib/dpkg/status");
        String pkg = null;
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("Package: ")) pkg = line.substring(9).trim();
            else if (line.startsWith("Version: ") && pkg != null && reported(pkg)) ctx.packageVersions.put(pkg, line.substring(9).trim());
        }
    }

    private static boolean reported(String pkg) {
        return pkg.startsWith("linux-image-") || REPORTED.contains(pkg);
    }
}

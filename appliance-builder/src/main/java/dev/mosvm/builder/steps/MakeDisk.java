package dev.mosvm.builder.steps;

import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.ProcessRunner;
import dev.mosvm.builder.SafeDelete;
import dev.mosvm.builder.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** ext4 from the root filesystem directory (no loop mounts), then a compressed qcow2. */
public final class MakeDisk implements BuildStep {
    @Override public String description() { return "Making the disk image (ext4 -> compressed qcow2)"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        ctx.rootfsBytes = du(ctx.rootfs());
        Path raw = ctx.work.resolve("root.raw");
        long size = Sizes.parseBytes(ctx.recipe.diskSize());
        try (var ch = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.position(size - 1).write(java.nio.ByteBuffer.wrap(new byte[1]));
        }
        ProcessRunner.check(List.of("mkfs.ext4", "-q", "-F", "-L", "mosvm-root", "-d", ctx.rootfs().toString(), raw.toString()),
                "mkfs.ext4", ctx.progress::detail);
        SafeDelete.deleteTree(ctx.rootfs());
        ProcessRunner.check(List.of("qemu-img", "convert", "-c", "-O", "qcow2", raw.toString(),
                ctx.work.resolve(ApplianceImage.DISK).toString()), "qemu-img convert", ctx.progress::detail);
        Files.delete(raw);
    }

    static long du(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (java.io.IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}

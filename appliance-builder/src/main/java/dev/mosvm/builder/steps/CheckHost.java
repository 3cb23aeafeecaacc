package dev.mosvm.builder.steps;

import dev.mosvm.builder.BuildException;
import dev.mosvm.builder.ProcessRunner;
import dev.mosvm.builder.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Fails early, with the fix, when the host cannot build: tools, privileges, disk space. */
public final class CheckHost implements BuildStep {
    /** Room for the unpacked root filesystem, the sparse raw disk's written blocks and the qcow2. */
    static final long MIN_FREE_BYTES = 3L << 30;

    @Override public String description() { return "Checking the build host"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        if (!os.contains("linux")) {
            throw new BuildException("the appliance image is built on Linux only (this is " + System.getProperty("os.name") + ")",
                    "pull the image published with this release: mosvm image pull URL --sha256 HASH (docs/qemu-driver.md)");
        }
        for (String tool : List.of("mmdebstrap", "mkfs.ext4", "qemu-img", "cc")) {
            if (!ProcessRunner.onPath(tool)) {
                throw new BuildException(tool + " is not installed",
                        "install it: apt-get install --no-install-recommends mmdebstrap e2fsprogs qemu-utils gcc libc6-dev libssl-dev libseccomp-dev");
            }
        }
        if (!Files.exists(Path.of("/usr/include/openssl/evp.h"))) {
            throw new BuildException("OpenSSL's development files are not installed (the page-stream tool links libcrypto)",
                    "install them: apt-get install --no-install-recommends libssl-dev");
        }
        if (!Files.exists(Path.of("/usr/include/seccomp.h"))) {
            throw new BuildException("libseccomp's development files are not installed (the job launcher confines jobs with it)",
                    "install them: apt-get install --no-install-recommends libseccomp-dev");
        }
        if (!isRoot()) {
            throw new BuildException("building the appliance needs root (mmdebstrap installs packages into a chroot)",
                    "run it as root (e.g. with sudo)");
        }
        Path dir = ctx.work.getParent();
        while (!Files.exists(dir)) dir = dir.getParent(); // the cache may not exist yet
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < MIN_FREE_BYTES) {
            throw new BuildException("not enough disk space in " + ctx.work.getParent() + ": " + Sizes.human(free)
                    + " free, " + Sizes.human(MIN_FREE_BYTES) + " needed", "free some space or set MOSVM_CACHE to a larger disk");
        }
    }

    static boolean isRoot() throws Exception {
        for (String line : Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) return line.split("\\s+")[2].equals("0"); // effective uid
        }
        return false;
    }
}

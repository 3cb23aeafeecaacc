package dev.mosvm.builder;

import java.nio.file.Path;

/** A built image in the cache: a directory with disk, kernel, initrd and manifest. */
public record ApplianceImage(Path dir, ImageManifest manifest) {
    public static final String DISK = "disk.qcow2";
    public static final String KERNEL = "vmlinuz";
    public static final String INITRD = "initrd.img";
    public static final String MANIFEST = "manifest.json";

    public Path disk() { return dir.resolve(DISK); }
    public Path kernel() { return dir.resolve(KERNEL); }
    public Path initrd() { return dir.resolve(INITRD); }
    public String key() { return manifest.key(); }
}

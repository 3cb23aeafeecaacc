package dev.mosvm.manager.hypervisor.qemu;

import java.util.Locale;

/**
 * The host operating systems QEMU runs the appliance on, and what differs between them for the
 * driver: the accelerator QEMU offers, whether it can detach itself, where its control socket lives.
 */
public enum HostOs {
    LINUX, MACOS, WINDOWS;

    public static HostOs current() {
        return of(System.getProperty("os.name", ""));
    }

    /** From Java's {@code os.name} ("Linux", "Mac OS X", "Windows 11"); anything else is treated as Linux-like. */
    static HostOs of(String osName) {
        String n = osName.toLowerCase(Locale.ROOT);
        if (n.startsWith("windows")) return WINDOWS;
        if (n.startsWith("mac") || n.startsWith("darwin")) return MACOS;
        return LINUX;
    }

    /**
     * QEMU detaches itself ({@code -daemonize}) only on POSIX hosts: on Windows it is not
     * supported, so the driver starts it as a detached process and waits for its control socket.
     */
    public boolean daemonizes() {
        return this != WINDOWS;
    }

    /** The QEMU binary to run (on PATH, unless MOSVM_QEMU names one). */
    public String qemuBinary() {
        String env = System.getenv("MOSVM_QEMU");
        if (env != null && !env.isBlank()) return env;
        return this == WINDOWS ? "qemu-system-x86_64.exe" : "qemu-system-x86_64";
    }
}

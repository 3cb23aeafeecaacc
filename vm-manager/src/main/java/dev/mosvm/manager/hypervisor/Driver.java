package dev.mosvm.manager.hypervisor;

import dev.mosvm.manager.MosvmException;
import java.util.Locale;

/** Which hypervisor driver hosts an instance; `mosvm up --driver` names one, instance.yaml keeps it. */
public enum Driver {
    /** libvirt's system daemon on Linux: a bridged NAT network the host reaches guests on. */
    LIBVIRT,
    /** QEMU run directly (macOS, Windows, Linux without libvirtd): user-mode networking, forwarded ports. */
    QEMU;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The driver instance.yaml records: libvirt for instances made before there was a choice. */
    public static Driver recorded(String driver) {
        return driver == null ? LIBVIRT : parse(driver);
    }

    /** From `--driver` or instance.yaml; null stays null (auto, or an instance made before drivers: libvirt). */
    public static Driver parse(String s) {
        if (s == null) return null;
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "libvirt" -> LIBVIRT;
            case "qemu" -> QEMU;
            default -> throw MosvmException.invalid("invalid --driver '" + s + "': use libvirt or qemu");
        };
    }
}

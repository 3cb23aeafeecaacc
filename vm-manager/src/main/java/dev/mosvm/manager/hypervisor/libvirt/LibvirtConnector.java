package dev.mosvm.manager.hypervisor.libvirt;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * Opens a libvirt connection: $LIBVIRT_DEFAULT_URI if set, else qemu:///system as root and
 * qemu:///session otherwise. Failures become one line that says what to do.
 */
public final class LibvirtConnector {
    private LibvirtConnector() {}

    public static String defaultUri() {
        String env = System.getenv("LIBVIRT_DEFAULT_URI");
        if (env != null && !env.isBlank()) return env;
        return "root".equals(System.getProperty("user.name")) ? "qemu:///system" : "qemu:///session";
    }

    /**
     * libvirt prints every error to stderr by default ("Domain not found" for a lookup that
     * we expect to fail). Errors still reach us as exceptions; this only stops the printing.
     * Held in a field so the native callback is never garbage collected.
     */
    private static final Libvirt.VirErrorCallback QUIET = (userData, error) -> { };

    public static LibvirtHypervisor connect(String uri) {
        Connect conn;
        try {
            Connect.setErrorCallback(QUIET);
            conn = new Connect(uri);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "libvirt is not installed (libvirt.so.0 not found)",
                    "install it as root: apt-get install --no-install-recommends libvirt-daemon-system libvirt-clients "
                            + "libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils  (or run scripts/setup-host.sh)");
        } catch (LibvirtException e) {
            throw explain(uri, e);
        }
        return new LibvirtHypervisor(conn, uri);
    }

    static MosvmException explain(String uri, LibvirtException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        List<String> hints = new ArrayList<>();
        String what;
        boolean socket = msg.contains("Failed to connect socket") || msg.contains("libvirt-sock");
        if (socket && (msg.contains("No such file or directory") || msg.contains("Connection refused"))) {
            what = "libvirtd is not running (cannot connect to " + uri + ")";
            hints.add("start it as root: scripts/start-libvirt.sh  (or: mkdir -p /run/libvirt; virtlogd --daemon; libvirtd --daemon)");
        } else if (msg.contains("Permission denied") || msg.contains("authentication") || msg.contains("polkit")
                || msg.contains("access denied") || msg.contains("system bus")) {
            // Non-root users are authorised by polkit over D-Bus; without either, libvirt
            // reports the missing system bus, which means: not allowed.
            what = "no permission to use " + uri;
            hints.add("run as root, or add your user to the 'libvirt' group, or set LIBVIRT_DEFAULT_URI=qemu:///session");
        } else {
            what = "cannot connect to libvirt at " + uri + ": " + firstLine(msg);
        }
        return new MosvmException(ExitCodes.ENVIRONMENT, what, String.join("\n", hints));
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

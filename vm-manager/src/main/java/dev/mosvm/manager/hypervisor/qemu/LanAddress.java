package dev.mosvm.manager.hypervisor.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The host's LAN address, where the qemu driver forwards the ports other workstations use: the
 * source address of the default route (the local address of a UDP socket connected to a
 * documentation address, which sends nothing), else the first IPv4 address of an interface that
 * is up and not loopback (a host, or a network namespace, without a default route).
 */
public final class LanAddress {
    /** TEST-NET-1 (RFC 5737): routed like any remote address, never used by anyone. */
    static final String PROBE = "192.0.2.1";

    private LanAddress() {}

    /** An interface as the fallback sees it. */
    record Interface(String name, boolean up, boolean loopback, List<InetAddress> addresses) {}

    /** The host's LAN address now, if it has one. */
    public static Optional<Inet4Address> find() {
        return choose(routed(), interfaces());
    }

    /** The choice: the default route's source address if it is a usable IPv4 one, else the first such address of an up, non-loopback interface. */
    static Optional<Inet4Address> choose(InetAddress routed, List<Interface> interfaces) {
        if (usable(routed)) return Optional.of((Inet4Address) routed);
        for (Interface i : interfaces) {
            if (!i.up() || i.loopback()) continue;
            for (InetAddress a : i.addresses()) {
                if (usable(a)) return Optional.of((Inet4Address) a);
            }
        }
        return Optional.empty();
    }

    static boolean usable(InetAddress a) {
        return a instanceof Inet4Address && !a.isAnyLocalAddress() && !a.isLoopbackAddress() && !a.isMulticastAddress();
    }

    /** The default route's source address; null where there is no route (connect fails) or it cannot be told. */
    static InetAddress routed() {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(PROBE), 9));
            return s.getLocalAddress();
        } catch (IOException | UncheckedIOException | SecurityException e) {
            return null;
        }
    }

    /** The host's interfaces by index (the order the kernel made them). */
    static List<Interface> interfaces() {
        List<Interface> out = new ArrayList<>();
        try {
            var found = NetworkInterface.getNetworkInterfaces();
            if (found == null) return out;
            List<NetworkInterface> all = Collections.list(found);
            all.sort(Comparator.comparingInt(NetworkInterface::getIndex));
            for (NetworkInterface n : all) {
                try {
                    out.add(new Interface(n.getName(), n.isUp(), n.isLoopback(), Collections.list(n.getInetAddresses())));
                } catch (SocketException e) {
                    // gone meanwhile
                }
            }
        } catch (SocketException e) {
            // no interfaces to list
        }
        return out;
    }
}

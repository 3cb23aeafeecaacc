package dev.mosvm.manager.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which address the qemu driver forwards other workstations' ports on. */
class LanAddressTest {
    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static final LanAddress.Interface LO = new LanAddress.Interface("lo", true, true, List.of(ip("127.0.0.1"), ip("::1")));
    static final LanAddress.Interface ETH0 = new LanAddress.Interface("eth0", true, false, List.of(ip("fe80::1"), ip("10.213.77.11")));
    static final LanAddress.Interface WLAN_DOWN = new LanAddress.Interface("wlan0", false, false, List.of(ip("192.168.1.9")));
    static final LanAddress.Interface DOCKER = new LanAddress.Interface("docker0", true, false, List.of(ip("172.17.0.1")));

    static String chosen(InetAddress routed, List<LanAddress.Interface> interfaces) {
        return LanAddress.choose(routed, interfaces).map(InetAddress::getHostAddress).orElse("none");
    }

    @Test
    void theDefaultRoutesSourceAddressWins() {
        assertEquals("192.168.1.20", chosen(ip("192.168.1.20"), List.of(LO, ETH0, DOCKER)));
    }

    @Test
    void withoutARouteTheFirstUpNonLoopbackInterfacesIpv4AddressIsTaken() {
        // connect() failed (null), or left the socket on the wildcard address
        assertEquals("10.213.77.11", chosen(null, List.of(LO, WLAN_DOWN, ETH0, DOCKER)), "down and loopback skipped, IPv6 skipped");
        assertEquals("10.213.77.11", chosen(ip("0.0.0.0"), List.of(LO, ETH0)));
        assertEquals("10.213.77.11", chosen(ip("127.0.0.1"), List.of(LO, ETH0)), "a loopback source is no LAN address");
        assertEquals("10.213.77.11", chosen(ip("2001:db8::5"), List.of(LO, ETH0)), "IPv4 only: QEMU's hostfwd and the endpoint are IPv4");
    }

    @Test
    void noRouteAndNoInterfaceIsNone() {
        assertEquals("none", chosen(null, List.of(LO, WLAN_DOWN)));
        assertEquals("none", chosen(null, List.of()));
    }

    @Test
    void onThisHostItIsNeverLoopbackNorTheWildcard() {
        Optional<java.net.Inet4Address> here = LanAddress.find();
        here.ifPresent(a -> {
            assertFalse(a.isLoopbackAddress() || a.isAnyLocalAddress(), a.toString());
            assertTrue(LanAddress.interfaces().stream().filter(LanAddress.Interface::up).anyMatch(i -> i.addresses().contains(a)),
                    a + " is an address of an interface that is up");
        });
    }
}

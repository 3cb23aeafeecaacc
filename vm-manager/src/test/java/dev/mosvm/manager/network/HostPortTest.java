package dev.mosvm.manager.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What `join ADDRESS[:PORT]` and `up --endpoint HOST:PORT` take, and why they refuse the rest. */
class HostPortTest {
    @Test
    void aHostWithOrWithoutAPort() {
        assertEquals(new HostPort("192.168.1.20", 7443), HostPort.parse("192.168.1.20", 7443));
        assertEquals(new HostPort("192.168.1.20", 7444), HostPort.parse("192.168.1.20:7444", 7443));
        assertEquals(new HostPort("ws-b.lab.example", 1), HostPort.parse("ws-b.lab.example:1", 7443));
        assertEquals(new HostPort("localhost", 65535), HostPort.parse("localhost:65535", 7443));
        assertEquals(new HostPort("0.0.0.0", 51820), HostPort.parseWithPort("0.0.0.0:51820"));
        assertEquals("203.0.113.5:40000", HostPort.parseWithPort("203.0.113.5:40000").toString());
        assertEquals(new HostPort("3com.example", 9), HostPort.parseWithPort("3com.example:9"), "a label may start with a digit");
    }

    @Test
    void badPortsAndHostsAreRefusedWithTheReason() {
        record Bad(String input, String reason) {}
        for (Bad b : List.of(
                new Bad("10.0.0.1:0", "port '0' is not 1 to 65535"),
                new Bad("10.0.0.1:65536", "port '65536' is not 1 to 65535"),
                new Bad("10.0.0.1:", "port '' is not 1 to 65535"),
                new Bad("10.0.0.1:-5", "port '-5' is not 1 to 65535"),
                new Bad("10.0.0.1:http", "port 'http' is not 1 to 65535"),
                new Bad("10.0.0.1:123456", "port '123456' is not 1 to 65535"),
                new Bad("256.1.1.1", "'256.1.1.1' is neither a host name nor an IPv4 address"),
                new Bad("10.1.1", "'10.1.1' is neither a host name nor an IPv4 address"),
                new Bad("010.1.1.1", "'010.1.1.1' is neither a host name nor an IPv4 address"),
                new Bad("bad_host:7443", "'bad_host' is neither a host name nor an IPv4 address"),
                new Bad("-ws.example", "'-ws.example' is neither a host name nor an IPv4 address"),
                new Bad("ws..example", "'ws..example' is neither a host name nor an IPv4 address"),
                new Bad("ws.example.", "'ws.example.' is neither a host name nor an IPv4 address"),
                new Bad(":7443", "'' is neither a host name nor an IPv4 address"),
                new Bad("a".repeat(64) + ".example", "'" + "a".repeat(64) + ".example' is neither a host name nor an IPv4 address"),
                new Bad("[::1]:7443", "IPv6 addresses are not supported"),
                new Bad("fe80::1", "IPv6 addresses are not supported"),
                new Bad("", "it is empty"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(b.input(), 7443), b.input());
            assertEquals(b.reason(), e.getMessage(), b.input());
        }
        assertEquals("no port", assertThrows(IllegalArgumentException.class, () -> HostPort.parseWithPort("203.0.113.5")).getMessage());
    }
}

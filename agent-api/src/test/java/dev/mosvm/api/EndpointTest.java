package dev.mosvm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EndpointTest {
    @Test
    void hostAndPortAreChecked() {
        assertEquals(new Endpoint("10.213.77.11", 51820), Endpoint.parse("10.213.77.11:51820"));
        assertEquals("ws-b.lan:51821", Endpoint.parse("ws-b.lan:51821").toString());
        assertEquals("invalid endpoint '10.0.0.1': use HOST:PORT", assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("10.0.0.1")).getMessage());
        assertEquals("invalid endpoint port 0", assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("10.0.0.1:0")).getMessage());
        assertEquals("invalid endpoint port 70000", assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("h:70000")).getMessage());
        assertEquals("invalid endpoint host '300.1.1.1'", assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("300.1.1.1:1")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("a b:1"), "no spaces");
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("-x:1"), "no option-like names");
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("[::1]:1"), "IPv6 is not offered");
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("h:x"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("a".repeat(70) + ":1"));
        assertNull(Endpoint.parseOrNull("nonsense"));
        assertNull(Endpoint.parseOrNull(null));
    }
}

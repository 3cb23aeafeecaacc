package dev.mosvm.agent.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class OverlayAddressesTest {
    @Test
    void theFounderIsFirstAndEachJoinerGetsTheNextAddressNeverOneGivenBefore() {
        assertEquals("10.77.0.1", OverlayAddresses.first().getHostAddress());
        List<Inet4Address> taken = new ArrayList<>(List.of(OverlayAddresses.first()));
        for (int i = 0; i < 300; i++) taken.add(OverlayAddresses.next(taken));
        assertEquals("10.77.1.45", taken.get(300).getHostAddress(), "past .255 into the next /24");
        taken.remove(5); // a removed member's address is still above others: not reused
        assertEquals("10.77.1.46", OverlayAddresses.next(taken).getHostAddress());
        assertEquals("10.77.0.0/16", OverlayAddresses.subnet());
    }

    @Test
    void addressesFromTheNetworkMustBeOnTheOverlay() {
        assertEquals("10.77.3.4", OverlayAddresses.parse("10.77.3.4").getHostAddress());
        assertEquals("192.168.122.5 is outside the overlay's 10.77.0.0/16",
                assertThrows(IllegalArgumentException.class, () -> OverlayAddresses.parse("192.168.122.5")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> OverlayAddresses.parse("10.77.0.0"), "the network's own address");
        assertThrows(IllegalArgumentException.class, () -> OverlayAddresses.parse("10.77.255.255"), "the broadcast");
        assertThrows(IllegalArgumentException.class, () -> OverlayAddresses.parse("host.example"), "a name is not looked up");
        assertThrows(IllegalArgumentException.class, () -> OverlayAddresses.parse(null));
    }

    @Property
    void nextIsAlwaysFreeAndOnTheOverlay(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 0xFFFF) Integer> hosts) {
        List<Inet4Address> taken = new ArrayList<>();
        for (int h : hosts) taken.add(OverlayAddresses.of((10 << 24) | (77 << 16) | h));
        Inet4Address next = OverlayAddresses.next(taken);
        assertTrue(OverlayAddresses.contains(next));
        assertFalse(taken.contains(next));
    }
}

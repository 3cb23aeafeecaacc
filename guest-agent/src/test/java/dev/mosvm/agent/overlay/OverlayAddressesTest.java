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
        for (int i = 0; i < 300; i++) taken.add(OverlayAddresses.seat(taken, 0));
        assertEquals("10.77.0.254", taken.get(253).getHostAddress());
        assertEquals("10.77.255.1", taken.get(254).getHostAddress(), "past block 0 into the founder's blocks from the top, not admitters'");
        assertEquals("10.77.255.47", taken.get(300).getHostAddress());
        taken.remove(5); // a removed member's address is still above others: not reused
        assertEquals("10.77.255.48", OverlayAddresses.seat(taken, 0).getHostAddress());
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

    @Test
    void anAdmitterSeatsItsJoinersInItsOwnBlockUntilItIsFull() {
        List<Inet4Address> taken = new ArrayList<>(List.of(OverlayAddresses.first(), OverlayAddresses.parse("10.77.0.2")));
        assertEquals("10.77.3.1", OverlayAddresses.seat(taken, 3).getHostAddress());
        for (int i = 0; i < 254; i++) taken.add(OverlayAddresses.seat(taken, 3));
        assertEquals("admitter 3's overlay block 10.77.3.0/24 is full; let another member admit",
                assertThrows(IllegalStateException.class, () -> OverlayAddresses.seat(taken, 3)).getMessage());
        assertEquals("10.77.0.3", OverlayAddresses.seat(taken, 0).getHostAddress(), "the founder's block is its own");
    }

    @Property
    void aSeatIsAlwaysFreeOnTheOverlayAndInItsAdmittersBlock(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 0xFFFF) Integer> hosts,
            @ForAll @IntRange(min = 0, max = OverlayAddresses.ADMITTER_BLOCKS) int admitter) {
        List<Inet4Address> taken = new ArrayList<>();
        for (int h : hosts) taken.add(OverlayAddresses.of((10 << 24) | (77 << 16) | h));
        Inet4Address next = OverlayAddresses.seat(taken, admitter);
        assertTrue(OverlayAddresses.contains(next));
        assertFalse(taken.contains(next));
        int block = next.getAddress()[2] & 0xFF;
        assertTrue(block == admitter || admitter == 0 && block > OverlayAddresses.ADMITTER_BLOCKS, next + " for admitter " + admitter);
    }
}

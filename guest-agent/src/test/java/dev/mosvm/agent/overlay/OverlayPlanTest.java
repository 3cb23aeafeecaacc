package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverlayPlanTest {
    static final String KB = key(2), KC = key(3), KX = key(9);
    static final OverlayPeer B = new OverlayPeer("b", KB, OverlayAddresses.parse("10.77.0.2"), Endpoint.parse("10.213.77.12:51820"));
    static final OverlayPeer C = new OverlayPeer("c", KC, OverlayAddresses.parse("10.77.0.3"), null);

    static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    static final long NOW = 1_733_490_000;

    static WgDump.Peer has(String key, String endpoint, String allowed) {
        return new WgDump.Peer(key, endpoint, List.of(allowed), 0, 0, 0);
    }

    @Test
    void aFirstAdvertisementDoesNotOverrideAPathThatWorks() {
        OverlayPeer unseen = new OverlayPeer("b", KB, B.address(), null);
        OverlayPlan plan = new OverlayPlan();
        plan.plan(List.of(unseen), List.of(), NOW); // added before its gossip said where it is: it called, from behind a NAT
        WgDump.Peer roamed = new WgDump.Peer(KB, "10.213.77.1:51820", List.of("10.77.0.2/32"), NOW - 20, 100, 100);
        assertEquals(List.of(), plan.plan(List.of(B), List.of(roamed), NOW), "its advertised (private) endpoint would cut a working path");
        WgDump.Peer stale = new WgDump.Peer(KC, "10.213.77.1:40000", List.of("10.77.0.3/32"), NOW - 600, 100, 100);
        OverlayPeer cAt = new OverlayPeer("c", KC, C.address(), Endpoint.parse("10.213.77.13:51820"));
        assertEquals(List.of(new OverlayPlan.Put(cAt, cAt.endpoint())), new OverlayPlan().plan(List.of(cAt), List.of(stale), NOW),
                "a path silent for ten minutes gives way to what the member says");
    }

    @Test
    void newMembersAreAddedWithWhatIsKnownAndStrangersRemoved() {
        OverlayPlan plan = new OverlayPlan();
        assertEquals(List.of(new OverlayPlan.Put(B, B.endpoint()), new OverlayPlan.Put(C, null), new OverlayPlan.Remove(KX)),
                plan.plan(List.of(B, C), List.of(has(KX, "1.2.3.4:5", "10.77.0.9/32")), NOW));
    }

    /** Plans and applies every change, as the device does when every command succeeds. */
    static List<OverlayPlan.Change> planAndApply(OverlayPlan plan, List<OverlayPeer> wanted, List<WgDump.Peer> current) {
        List<OverlayPlan.Change> changes = plan.plan(wanted, current, NOW);
        for (OverlayPlan.Change c : changes) if (c instanceof OverlayPlan.Put p) plan.applied(p);
        return changes;
    }

    @Test
    void anEndpointTheKernelDidNotTakeIsSetAgainNextRound() {
        OverlayPlan plan = new OverlayPlan();
        assertEquals(List.of(new OverlayPlan.Put(B, B.endpoint())), plan.plan(List.of(B), List.of(), NOW)); // its name did not resolve: not applied
        assertEquals(List.of(new OverlayPlan.Put(B, B.endpoint())), plan.plan(List.of(B), List.of(has(KB, null, "10.77.0.2/32")), NOW));
    }

    @Test
    void roamingIsLeftAloneUntilTheMemberSaysItMoved() {
        OverlayPlan plan = new OverlayPlan();
        planAndApply(plan, List.of(B), List.of());
        // B's packets came from its NAT's address: the kernel follows them, and the plan leaves that be
        assertEquals(List.of(), plan.plan(List.of(B), List.of(has(KB, "198.51.100.7:40001", "10.77.0.2/32")), NOW));
        OverlayPeer moved = new OverlayPeer("b", KB, B.address(), Endpoint.parse("10.213.77.50:51820"));
        assertEquals(List.of(new OverlayPlan.Put(moved, moved.endpoint())), plan.plan(List.of(moved), List.of(has(KB, "198.51.100.7:40001", "10.77.0.2/32")), NOW));
    }

    @Test
    void aPeerWithTheWrongAllowedAddressIsSetAgainWithoutTouchingItsEndpoint() {
        OverlayPlan plan = new OverlayPlan();
        planAndApply(plan, List.of(B), List.of());
        assertEquals(List.of(new OverlayPlan.Put(B, null)), plan.plan(List.of(B), List.of(has(KB, "198.51.100.7:40001", "10.77.0.0/16")), NOW));
    }

    @Test
    void aRelayGainsAndLosesTheAddressesItCarriesWithoutTouchingItsEndpoint() {
        OverlayPlan plan = new OverlayPlan();
        planAndApply(plan, List.of(B), List.of());
        OverlayPeer relaying = new OverlayPeer("b", KB, B.address(), B.endpoint(), List.of(OverlayAddresses.parse("10.77.0.3")));
        WgDump.Peer kernel = new WgDump.Peer(KB, "10.213.77.12:51820", List.of("10.77.0.2/32"), NOW - 5, 1, 1);
        assertEquals(List.of(new OverlayPlan.Put(relaying, null), new OverlayPlan.Remove(KC)),
                plan.plan(List.of(relaying), List.of(kernel, has(KC, null, "10.77.0.3/32")), NOW), "c's address moves to b's peer, c's own peer goes");
        WgDump.Peer carrying = new WgDump.Peer(KB, "10.213.77.12:51820", List.of("10.77.0.3/32", "10.77.0.2/32"), NOW - 5, 1, 1);
        assertEquals(List.of(), plan.plan(List.of(relaying), List.of(carrying), NOW), "in whatever order wg lists them");
        assertEquals(List.of(new OverlayPlan.Put(B, null)), plan.plan(List.of(B), List.of(carrying), NOW), "and back to its own address alone");
    }

    @Test
    void aDumpIsParsedAsWgPrintsIt() {
        String dump = "cHJpdmF0ZQ==\tcHVibGlj\t51820\toff\n"
                + KB + "\t(none)\t10.213.77.12:51820\t10.77.0.2/32\t1733490000\t1024\t2048\t25\n"
                + KC + "\t(none)\t(none)\t(none)\t0\t0\t0\t25\n";
        assertEquals(List.of(new WgDump.Peer(KB, "10.213.77.12:51820", List.of("10.77.0.2/32"), 1733490000, 1024, 2048),
                new WgDump.Peer(KC, null, List.of(), 0, 0, 0)), WgDump.parse(dump));
        assertEquals(List.of(), WgDump.parse("cHJpdmF0ZQ==\tcHVibGlj\t51820\toff\n"));
    }
}

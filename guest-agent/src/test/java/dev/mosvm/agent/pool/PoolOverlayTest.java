package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.identity.Ed25519;
import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.overlay.OverlayPeer;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolOverlayTest {
    private final PoolAuthority authority = PoolAuthority.create("a");

    private MemberCertificate cert(String node, String address, long at) throws Exception {
        byte[] wg = new byte[32];
        new SecureRandom().nextBytes(wg);
        return authority.certify("lab", node, Ed25519.raw(Ed25519.generate().getPublic()), at,
                new MemberCertificate.Overlay(wg, (Inet4Address) InetAddress.getByName(address)));
    }

    private static NodeView entry(String node, String address, NodeState state) {
        return entry(node, address, state, "192.168.1.9:51820");
    }

    private static NodeView entry(String node, String address, NodeState state, String endpoint) {
        return new NodeView(new NodeInfo(node, address, 7946, 1, 1, 0, 1 << 20, 0, 0, endpoint), 0, state);
    }

    private static List<String> peers(List<OverlayPeer> peers) {
        return peers.stream().map(OverlayPeer::node).toList();
    }

    @Test
    void aMemberThatLeftIsAPeerAgainOnlyOnceItIsCertifiedAgain() throws Exception {
        PoolOverlay.Departures departures = new PoolOverlay.Departures();
        MemberCertificate first = cert("b", "10.77.0.2", 100);
        Map<String, MemberCertificate> members = Map.of("b", first);
        List<NodeView> alive = List.of(entry("b", "10.77.0.2", NodeState.ALIVE));
        departures.note(alive, members);
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", "zz", true, members, n -> false, alive, Map.of(), departures)));

        List<NodeView> left = List.of(entry("b", "10.77.0.2", NodeState.LEFT));
        departures.note(left, members);
        assertEquals(List.of(), peers(PoolOverlay.wanted("a", "zz", true, members, n -> false, left, Map.of(), departures)),
                "a member that left is no peer while it holds the certificate it left with");

        // it joins again: a new certificate arrives while its old entry still says LEFT, and its
        // gossip, which would say otherwise, can only come over the overlay
        Map<String, MemberCertificate> rejoined = Map.of("b", cert("b", "10.77.0.2", 160));
        departures.note(left, rejoined);
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", "zz", true, rejoined, n -> false, left, Map.of(), departures)));

        // and leaving a second time takes it out again
        departures.note(alive, rejoined);
        departures.note(left, rejoined);
        assertEquals(List.of(), peers(PoolOverlay.wanted("a", "zz", true, rejoined, n -> false, left, Map.of(), departures)));
    }

    @Test
    void removedMembersAndThisNodeAreNoPeers() throws Exception {
        PoolOverlay.Departures departures = new PoolOverlay.Departures();
        Map<String, MemberCertificate> members = Map.of("a", cert("a", "10.77.0.1", 1), "b", cert("b", "10.77.0.2", 1),
                "c", cert("c", "10.77.0.3", 1));
        List<NodeView> view = List.of(entry("b", "10.77.0.2", NodeState.ALIVE), entry("c", "10.77.0.3", NodeState.ALIVE));
        departures.note(view, members);
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", "zz", true, members, "c"::equals, view, Map.of(), departures)));
    }

    @Test
    void twoMembersNothingReachesGoThroughTheSameReachableMember() throws Exception {
        Map<String, MemberCertificate> members = Map.of("a", cert("a", "10.77.0.1", 1), "b", cert("b", "10.77.0.2", 1),
                "c", cert("c", "10.77.0.3", 1), "r", cert("r", "10.77.0.4", 1), "s", cert("s", "10.77.0.5", 1));
        // a and b advertise no endpoint (nothing forwarded to them); r and s can be reached; c is dead
        List<NodeView> view = List.of(entry("a", "10.77.0.1", NodeState.ALIVE, null), entry("b", "10.77.0.2", NodeState.ALIVE, null),
                entry("c", "10.77.0.3", NodeState.DEAD, "192.168.1.3:51820"), entry("r", "10.77.0.4", NodeState.ALIVE, "192.168.1.4:51820"),
                entry("s", "10.77.0.5", NodeState.ALIVE, "192.168.1.5:51820"));
        PoolOverlay.Departures departures = new PoolOverlay.Departures();
        departures.note(view, members);

        List<OverlayPeer> fromA = PoolOverlay.wanted("a", "zz", false, members, n -> false, view, Map.of(), departures);
        assertEquals(List.of("c", "r", "s"), peers(fromA), "b is no peer of a's: nobody could call; dead c keeps its last endpoint");
        OverlayPeer r = fromA.stream().filter(p -> p.node().equals("r")).findFirst().orElseThrow();
        assertEquals(List.of("10.77.0.4/32", "10.77.0.2/32"), r.allowedIps(), "r, the lowest-named live reachable member, carries b's packets");
        List<OverlayPeer> fromB = PoolOverlay.wanted("b", "zz", false, members, n -> false, view, Map.of(), departures);
        assertEquals(List.of("10.77.0.4/32", "10.77.0.1/32"),
                fromB.stream().filter(p -> p.node().equals("r")).findFirst().orElseThrow().allowedIps(), "and a's, from b's side: the same relay");

        List<OverlayPeer> fromR = PoolOverlay.wanted("r", "zz", true, members, n -> false, view, Map.of(), departures);
        assertEquals(List.of("a", "b", "c", "s"), peers(fromR), "the relay has both as peers of its own");
        fromR.forEach(p -> assertEquals(List.of(p.address().getHostAddress() + "/32"), p.allowedIps(), "each only at its own address"));

        List<NodeView> rGone = List.of(view.get(0), view.get(1), view.get(2), entry("r", "10.77.0.4", NodeState.DEAD, "192.168.1.4:51820"), view.get(4));
        assertEquals(List.of("10.77.0.5/32", "10.77.0.2/32"), PoolOverlay.wanted("a", "zz", false, members, n -> false, rGone, Map.of(), departures)
                .stream().filter(p -> p.node().equals("s")).findFirst().orElseThrow().allowedIps(), "r dead: s relays");
        assertEquals(List.of("10.77.0.5/32", "10.77.0.2/32"), PoolOverlay.wanted("a", "s", false, members, n -> false, view, Map.of(), departures)
                .stream().filter(p -> p.node().equals("s")).findFirst().orElseThrow().allowedIps(), "the founder relays when it can be reached");
        List<NodeView> rSuspect = List.of(view.get(0), view.get(1), view.get(2), entry("r", "10.77.0.4", NodeState.SUSPECT, "192.168.1.4:51820"), view.get(4));
        assertEquals(List.of("10.77.0.4/32", "10.77.0.2/32"), PoolOverlay.wanted("a", "zz", false, members, n -> false, rSuspect, Map.of(), departures)
                .stream().filter(p -> p.node().equals("r")).findFirst().orElseThrow().allowedIps(), "a late entry does not move the relay; a dead one does");
        // a joiner before any gossip but its own: the endpoints its admitter handed on choose the relay, as the admitter's gossip does
        List<OverlayPeer> joining = PoolOverlay.wanted("a", "zz", false, members, n -> false, List.of(view.get(0)),
                Map.of("r", dev.mosvm.api.Endpoint.parse("192.168.1.4:51820"), "s", dev.mosvm.api.Endpoint.parse("192.168.1.5:51820")), departures);
        assertEquals(List.of("10.77.0.4/32", "10.77.0.2/32", "10.77.0.3/32"),
                joining.stream().filter(p -> p.node().equals("r")).findFirst().orElseThrow().allowedIps());
        Map<String, dev.mosvm.api.Endpoint> handedOn = Map.of("b", dev.mosvm.api.Endpoint.parse("192.168.1.2:51820"));
        assertEquals(List.of("10.77.0.4/32", "10.77.0.2/32"), PoolOverlay.wanted("a", "zz", false, members, n -> false, view, handedOn, departures)
                .stream().filter(p -> p.node().equals("r")).findFirst().orElseThrow().allowedIps(),
                "b's own entry says it has no endpoint now: the one handed on when it joined is stale");
        List<NodeView> noneReachable = List.of(view.get(0), view.get(1));
        assertEquals(List.of("b", "c", "r", "s"), peers(PoolOverlay.wanted("a", "zz", false, members, n -> false, noneReachable, Map.of(), departures)),
                "with no live member to relay, b stays a peer (as it was): it may yet call");
    }
}

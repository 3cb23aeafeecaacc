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
        return new NodeView(new NodeInfo(node, address, 7946, 1, 1, 0, 1 << 20, 0, 0, "192.168.1.9:51820"), 0, state);
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
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", members, n -> false, alive, Map.of(), departures)));

        List<NodeView> left = List.of(entry("b", "10.77.0.2", NodeState.LEFT));
        departures.note(left, members);
        assertEquals(List.of(), peers(PoolOverlay.wanted("a", members, n -> false, left, Map.of(), departures)),
                "a member that left is no peer while it holds the certificate it left with");

        // it joins again: a new certificate arrives while its old entry still says LEFT, and its
        // gossip, which would say otherwise, can only come over the overlay
        Map<String, MemberCertificate> rejoined = Map.of("b", cert("b", "10.77.0.2", 160));
        departures.note(left, rejoined);
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", rejoined, n -> false, left, Map.of(), departures)));

        // and leaving a second time takes it out again
        departures.note(alive, rejoined);
        departures.note(left, rejoined);
        assertEquals(List.of(), peers(PoolOverlay.wanted("a", rejoined, n -> false, left, Map.of(), departures)));
    }

    @Test
    void removedMembersAndThisNodeAreNoPeers() throws Exception {
        PoolOverlay.Departures departures = new PoolOverlay.Departures();
        Map<String, MemberCertificate> members = Map.of("a", cert("a", "10.77.0.1", 1), "b", cert("b", "10.77.0.2", 1),
                "c", cert("c", "10.77.0.3", 1));
        List<NodeView> view = List.of(entry("b", "10.77.0.2", NodeState.ALIVE), entry("c", "10.77.0.3", NodeState.ALIVE));
        departures.note(view, members);
        assertEquals(List.of("b"), peers(PoolOverlay.wanted("a", members, "c"::equals, view, Map.of(), departures)));
    }
}

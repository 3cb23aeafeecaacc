package dev.mosvm.agent.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GossipNodeTest {
    static final GossipConfig CFG = GossipConfig.test();
    final NodeIds ids = new NodeIds();

    GossipNode node(String id, int port) {
        return new GossipNode(new NodeInfo(id, "127.0.0.1", port, 2, 1.0, 0.5, 4096, 0), CFG, new SplittableRandom(port), ids);
    }

    static NodeView find(GossipNode n, String id, long now) {
        return n.view(now).stream().filter(v -> v.info().id().equals(id)).findFirst().orElse(null);
    }

    @Test
    void aNodeAloneTalksToItsSeedAndOwnEntryComesFirst() {
        GossipNode a = node("a", 1);
        a.addSeed("127.0.0.1", 2);
        List<Outbound> out = a.onTick(0);
        assertEquals(1, out.size());
        assertEquals(2, out.get(0).port());
        GossipMessage m = out.get(0).message();
        assertEquals(GossipMessage.Kind.SYNC, m.kind(), "joining asks the seed for its board");
        assertEquals("a", m.entries().get(0).info().id());
        assertEquals(0, m.entries().get(0).ageMillis());
        assertEquals(2, a.onTick(1000).get(0).port(), "and keeps asking until it answers");
    }

    @Test
    void twoNodesLearnEachOtherAndLoadUpdatesTravel() {
        GossipNode a = node("a", 1);
        GossipNode b = node("b", 2);
        a.addSeed("127.0.0.1", 2);
        b.onMessage(0, a.onTick(0).get(0).message());
        a.onMessage(10, b.onTick(10).get(0).message());
        assertEquals(NodeState.ALIVE, find(a, "b", 10).state());
        b.updateSelf(new NodeInfo("b", "127.0.0.1", 2, 2, 1.0, 3.0, 100, 4));
        a.onMessage(200, b.onTick(200).get(0).message());
        NodeView seen = find(a, "b", 250);
        assertEquals(3.0, seen.info().load());
        assertEquals(4, seen.info().jobs());
        assertEquals(50, seen.ageMillis(), "age = time since b sent it");
    }

    @Test
    void silenceMakesANodeSuspectThenDeadThenForgotten() {
        GossipNode a = node("a", 1);
        GossipNode b = node("b", 2);
        a.addSeed("x", 2);
        a.onMessage(0, b.onTick(0).isEmpty() ? new GossipMessage("b", List.of(new WireEntry(b.view(0).get(0).info(), 0, false))) : null);
        assertEquals(NodeState.ALIVE, find(a, "b", CFG.suspectAfterMillis()).state());
        assertEquals(NodeState.SUSPECT, find(a, "b", CFG.suspectAfterMillis() + 1).state());
        assertEquals(NodeState.DEAD, find(a, "b", CFG.deadAfterMillis() + 1).state());
        // a dead node is no gossip target: a alone goes back to its seed
        assertEquals("x", a.onTick(CFG.deadAfterMillis() + 1).get(0).address());
        a.onTick(CFG.forgetAfterMillis() + 1);
        assertEquals(null, find(a, "b", CFG.forgetAfterMillis() + 2));
        // it comes back: fresh news makes it alive again
        a.onMessage(CFG.forgetAfterMillis() + 3, new GossipMessage("b", List.of(new WireEntry(b.view(0).get(0).info(), 0, false))));
        assertEquals(NodeState.ALIVE, find(a, "b", CFG.forgetAfterMillis() + 3).state());
    }

    @Test
    void leavingTellsEveryPeerAtOnce() {
        GossipNode a = node("a", 1);
        GossipNode b = node("b", 2);
        GossipNode c = node("c", 3);
        for (GossipNode x : List.of(b, c)) a.onMessage(0, new GossipMessage(x.id(), List.of(new WireEntry(x.view(0).get(0).info(), 0, false))));
        List<Outbound> bye = a.leave(5);
        assertEquals(2, bye.size(), "one message per live peer");
        b.onMessage(6, bye.get(0).message());
        assertEquals(NodeState.LEFT, find(b, "a", 6).state());
        // an older, pre-leave entry arriving late does not resurrect it
        b.onMessage(7, new GossipMessage("c", List.of(new WireEntry(c.view(7).get(0).info(), 0, false),
                new WireEntry(a.view(0).get(0).info(), 100, false))));
        assertEquals(NodeState.LEFT, find(b, "a", 7).state());
    }

    @Test
    void aNewcomerIsAnsweredWithTheWholeBoardOnce() {
        GossipNode a = node("a", 1);
        for (int i = 0; i < 1500; i++) {
            a.onMessage(0, new GossipMessage("p" + i, List.of(new WireEntry(new NodeInfo("p" + i, "10.0.0.1", 3, 1, 1, 0, 1, 0), 0, false))));
        }
        GossipNode joiner = node("j", 9);
        joiner.addSeed("127.0.0.1", 1);
        List<Outbound> reply = a.onMessage(5, joiner.onTick(5).get(0).message());
        assertEquals(2, reply.size(), "1502 entries in messages of at most 1024");
        assertEquals(9, reply.get(0).port(), "sent back to the joiner");
        for (Outbound o : reply) {
            assertEquals("a", o.message().entries().get(0).info().id(), "own entry first in every part");
            joiner.onMessage(6, o.message());
        }
        assertEquals(1502, joiner.view(6).size(), "the joiner knows the pool");
        assertEquals(List.of(), a.onMessage(7, joiner.onTick(7).get(0).message()), "a known sender gets no sync");
    }

    /** Regression: a peer's entry with the same millisecond stamp once went first, and receivers dropped the message. */
    @Test
    void ownEntryIsFirstEvenWhenAnotherIsJustAsFresh() throws Exception {
        GossipNode a = node("a", 1);
        a.onMessage(100, new GossipMessage("b", List.of(new WireEntry(new NodeInfo("b", "127.0.0.1", 2, 1, 1, 0, 1, 0), 0, false))));
        GossipMessage m = a.onTick(100).get(0).message();
        assertEquals("a", m.entries().get(0).info().id());
        assertEquals(1, m.entries().stream().filter(e -> e.info().id().equals("a")).count(), "once");
        GossipCodec.decode(GossipCodec.encode(m)); // what a receiver checks
    }

    @Test
    void ownEntryFromOthersIsIgnored() {
        GossipNode a = node("a", 1);
        a.onTick(0);
        a.onMessage(1, new GossipMessage("b", List.of(new WireEntry(new NodeInfo("b", "127.0.0.1", 2, 1, 1, 0, 1, 0), 0, false),
                new WireEntry(new NodeInfo("a", "6.6.6.6", 1, 99, 9, 9, 9, 9), 0, false))));
        assertEquals("127.0.0.1", find(a, "a", 2).info().address());
    }
}

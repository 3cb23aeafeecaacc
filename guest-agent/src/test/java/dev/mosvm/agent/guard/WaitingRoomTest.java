package dev.mosvm.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.Channel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A burst over a gate's per-key bound waits, unread and threadless, and is let in as places free, oldest first. */
class WaitingRoomTest {
    static final class Conn implements Channel {
        final String name;
        boolean open = true;

        Conn(String name) {
            this.name = name;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    final ConnectionGate gate = new ConnectionGate("a test connection", 4, 2, new LogThrottle(10_000, () -> 0));
    final List<String> served = new ArrayList<>();
    final List<ConnectionGate.Permit> permits = new ArrayList<>();
    final WaitingRoom<Conn> room = new WaitingRoom<>(gate, 2, 3, (c, p) -> {
        served.add(c.name);
        permits.add(p);
    });

    @Test
    void aBurstOverItsShareWaitsAndIsLetInOldestFirstAsPlacesFree() {
        for (int i = 1; i <= 4; i++) assertTrue(room.enter("alice", new Conn("a" + i)));
        assertEquals(List.of("a1", "a2"), served, "two read at once; the others wait");
        assertEquals(2, room.held());
        assertEquals(0, gate.refused(), "waiting is no refusal");
        assertTrue(room.enter("bob", new Conn("b1")), "another user is served at once, not behind alice's burst");
        assertEquals(List.of("a1", "a2", "b1"), served);

        permits.get(0).close();
        assertEquals(List.of("a1", "a2", "b1", "a3"), served, "a freed place goes to the oldest waiting");
        permits.get(1).close();
        assertEquals("a4", served.get(4));
        assertEquals(0, room.held());
    }

    @Test
    void theRoomIsBoundedAndAClosedWaiterIsSkipped() {
        room.enter("alice", new Conn("a1"));
        room.enter("alice", new Conn("a2"));
        Conn late = new Conn("a3");
        assertTrue(room.enter("alice", late));
        assertTrue(room.enter("alice", new Conn("a4")));
        assertFalse(room.enter("alice", new Conn("a5")), "two waiting from alice: the most one may hold");
        assertEquals(1, gate.refused());
        assertTrue(room.enter("bob", new Conn("b1"))); // bob's two places
        assertTrue(room.enter("bob", new Conn("b2")));
        assertTrue(room.enter("carol", new Conn("c1")), "gate full overall: carol waits");
        assertFalse(room.enter("dave", new Conn("d1")), "three waiting in all: the room is full");

        late.close(); // its opening deadline passed while it waited
        permits.get(0).close();
        assertEquals("a4", served.get(served.size() - 1), "the closed one is dropped, the next let in");
        assertEquals(1, room.held(), "carol still waits: the gate is full");
    }
}

package dev.mosvm.agent.gossip;

import java.util.List;

/**
 * One gossip message, the sender's own entry first.
 *
 * @param kind GOSSIP carries the sender's youngest window; SYNC carries its whole board and
 *             asks for the receiver's in return (SYNC_REPLY): anti-entropy for membership.
 */
public record GossipMessage(String sender, Kind kind, List<WireEntry> entries) {
    /** Wire codes: only append. */
    public enum Kind {
        GOSSIP(1), SYNC(2), SYNC_REPLY(3);

        public final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) if (k.code == code) return k;
            return null;
        }
    }

    public GossipMessage(String sender, List<WireEntry> entries) {
        this(sender, Kind.GOSSIP, entries);
    }
}

package dev.mosvm.agent.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A node's answer to a {@code has} request (a REPLY with this record as JSON): where the job is
 * as far as that node knows. A "no" alone cannot tell a job that left the node from one its
 * restarted agent lost, so a node that sent the job on says where:
 * <ul>
 * <li>{@code runs}: the job runs there;
 * <li>{@code moving}: a move of it from there to {@code node} is under way (its outcome not known yet);
 * <li>{@code left}: it left there for {@code node} (the move's outcome said {@code node} has it),
 *     as the copy of epoch {@code epoch};
 * <li>{@code absent}: the node does not have it, and does not know where it went.
 * </ul>
 * {@code node} and {@code epoch} go with {@code moving} and {@code left} only.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Whereabouts(Kind kind, String node, Integer epoch) {
    /** What the node says; on the wire by name. Append only. */
    public enum Kind {
        RUNS("runs"), MOVING("moving"), LEFT("left"), ABSENT("absent");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        static Kind of(String wire) {
            for (Kind k : values()) if (k.wire.equals(wire)) return k;
            return null;
        }

        /** Whether the answer names where the job went. */
        public boolean sentOn() {
            return this == MOVING || this == LEFT;
        }
    }

    private static final Whereabouts RUNS = new Whereabouts(Kind.RUNS, null, null);
    private static final Whereabouts ABSENT = new Whereabouts(Kind.ABSENT, null, null);

    public static Whereabouts runs() {
        return RUNS;
    }

    public static Whereabouts absent() {
        return ABSENT;
    }

    public static Whereabouts moving(String node, int epoch) {
        return valid(new Whereabouts(Kind.MOVING, node, epoch));
    }

    public static Whereabouts left(String node, int epoch) {
        return valid(new Whereabouts(Kind.LEFT, node, epoch));
    }

    /**
     * Whether the answering node runs the job now, a move of it from there under way included
     * (a node it left says nothing about what happened to it since).
     */
    public boolean runsThere() {
        return kind == Kind.RUNS || kind == Kind.MOVING;
    }

    public Frame frame() {
        return Frame.json(MessageType.REPLY, this);
    }

    /** The answer in {@code f}, a REPLY; anything else, a kind this version does not know, or a field out of place is malformed. */
    public static Whereabouts of(Frame f) throws MalformedFrameException {
        if (f.type() != MessageType.REPLY) throw new MalformedFrameException("a " + f.type() + " frame where an answer to has belongs");
        JsonNode tree = WireJson.tree(f.payload());
        JsonNode kind = tree.get("kind");
        if (kind == null || !kind.isTextual()) throw new MalformedFrameException("an answer to has without a kind");
        if (Kind.of(kind.textValue()) == null) {
            throw new MalformedFrameException("an answer to has of kind " + MalformedFrameException.quoted(kind.textValue()));
        }
        Whereabouts w = WireJson.read(tree, Whereabouts.class);
        String wrong = problem(w);
        if (wrong != null) throw new MalformedFrameException(wrong);
        return w;
    }

    private static Whereabouts valid(Whereabouts w) {
        String wrong = problem(w);
        if (wrong != null) throw new IllegalArgumentException(wrong);
        return w;
    }

    /** What is wrong with {@code w}, or null. */
    private static String problem(Whereabouts w) {
        String what = "an answer to has of kind " + w.kind.wire;
        if (!w.kind.sentOn()) {
            return w.node != null || w.epoch != null ? what + " naming a node or an epoch" : null;
        }
        if (w.node == null) return what + " without a node";
        if (!PeerRequest.isNodeName(w.node)) return what + " with a bad node name";
        if (w.epoch == null) return what + " without an epoch";
        if (w.epoch < 0) return what + " at epoch " + w.epoch;
        return null;
    }
}

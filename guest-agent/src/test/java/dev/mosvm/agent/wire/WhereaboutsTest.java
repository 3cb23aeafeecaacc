package dev.mosvm.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A node's answer to has: each kind goes through whole, and an answer with a field out of place is refused. */
class WhereaboutsTest {
    static String refusal(String json) {
        return assertThrows(MalformedFrameException.class, () -> Whereabouts.of(Frame.text(MessageType.REPLY, json))).getMessage();
    }

    @Test
    void everyKindRoundTrips() throws MalformedFrameException {
        for (Whereabouts w : WireSamples.whereabouts()) assertEquals(w, Whereabouts.of(w.frame()), w.kind().wire());
    }

    @Test
    void kindsGoByTheirNamesAndOnlyASentOnJobNamesANodeAndAnEpoch() throws MalformedFrameException {
        assertEquals("{\"kind\":\"runs\"}", Whereabouts.runs().frame().text());
        assertEquals("{\"kind\":\"absent\"}", Whereabouts.absent().frame().text());
        assertEquals("{\"kind\":\"moving\",\"node\":\"c\",\"epoch\":0}", Whereabouts.moving("c", 0).frame().text());
        assertEquals("{\"kind\":\"left\",\"node\":\"c\",\"epoch\":2}", Whereabouts.left("c", 2).frame().text());
        assertEquals(Whereabouts.left("c", 2), Whereabouts.of(Frame.text(MessageType.REPLY, "{\"kind\":\"left\",\"node\":\"c\",\"epoch\":2,\"at\":1}")),
                "fields this version does not know are skipped");
    }

    @Test
    void onlyANodeThatRunsTheJobOrIsMovingItOnHasIt() {
        assertTrue(Whereabouts.runs().runsThere());
        assertTrue(Whereabouts.moving("c", 1).runsThere(), "the move's outcome is not known: the copy there is the job until then");
        assertFalse(Whereabouts.left("c", 1).runsThere());
        assertFalse(Whereabouts.absent().runsThere());
    }

    @Test
    void refusesAnswersThatSayNothingSure() {
        assertEquals("an answer to has without a kind", refusal("{\"node\":\"c\"}"));
        assertEquals("an answer to has without a kind", refusal("true"));
        assertEquals("an answer to has without a kind", refusal("{\"kind\":1}"));
        assertEquals("an answer to has of kind gone", refusal("{\"kind\":\"gone\"}"));
        assertEquals("an answer to has of kind left without a node", refusal("{\"kind\":\"left\",\"epoch\":1}"));
        assertEquals("an answer to has of kind moving without an epoch", refusal("{\"kind\":\"moving\",\"node\":\"c\"}"));
        assertEquals("an answer to has of kind left at epoch -1", refusal("{\"kind\":\"left\",\"node\":\"c\",\"epoch\":-1}"));
        assertEquals("an answer to has of kind left with a bad node name", refusal("{\"kind\":\"left\",\"node\":\"../c\",\"epoch\":1}"));
        assertEquals("an answer to has of kind moving with a bad node name",
                refusal("{\"kind\":\"moving\",\"node\":\"" + "c".repeat(65) + "\",\"epoch\":1}"));
        assertEquals("an answer to has of kind runs naming a node or an epoch", refusal("{\"kind\":\"runs\",\"node\":\"c\"}"));
        assertEquals("an answer to has of kind absent naming a node or an epoch", refusal("{\"kind\":\"absent\",\"epoch\":0}"));
        refusal("{\"kind\":\"left\",\"node\":\"c\",\"epoch\":\"x\"}");
        refusal("{\"kind\":\"left\",\"node\":[],\"epoch\":1}");
        assertEquals("a ERROR frame where an answer to has belongs",
                assertThrows(MalformedFrameException.class, () -> Whereabouts.of(Frame.text(MessageType.ERROR, "no"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Whereabouts.left("../c", 1), "this node never sends one either");
    }
}

package dev.mosvm.agent.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Peer requests: each op goes through whole, and a request lacking what its op needs is refused before anything acts on it. */
class PeerRequestTest {
    static String refusal(String json) {
        return assertThrows(MalformedFrameException.class, () -> PeerRequest.decode(Frame.text(MessageType.REQUEST, json))).getMessage();
    }

    @Test
    void everyOpRoundTrips() throws IOException {
        for (PeerRequest r : WireSamples.requests()) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(WireSamples.encode(java.util.List.of(r.frame()))));
            assertEquals(r, PeerRequest.read(in), r.op().wire());
        }
    }

    @Test
    void opsGoByTheirNamesAsProtocolOneSentThem() throws MalformedFrameException {
        assertEquals("{\"op\":\"has\",\"job\":\"a.7\"}", PeerRequest.has("a.7").frame().text());
        assertEquals("{\"op\":\"checkpoint\",\"job\":\"a.7\",\"uid\":1000}", PeerRequest.checkpoint("a.7", 1000).frame().text());
        assertEquals("{\"op\":\"migrate-in\",", PeerRequest.migrateIn(WireSamples.SPEC, WireSamples.OFFER).frame().text().substring(0, 19));
        assertEquals("{\"op\":\"compact\",\"job\":\"a.7\",\"keep\":3}", PeerRequest.compact("a.7", 3).frame().text());
        PeerRequest later = PeerRequest.decode(Frame.text(MessageType.REQUEST, "{\"op\":\"has\",\"job\":\"a.7\",\"since\":3}"));
        assertEquals(PeerRequest.has("a.7"), later, "fields this version does not know are skipped");
    }

    @Test
    void settlementsRoundTripAndUnknownVerdictsAreRefused() throws MalformedFrameException {
        for (PeerRequest.Settled s : WireSamples.settlements()) assertEquals(s, PeerRequest.Settled.of(s.frame()));
        assertEquals("{\"verdict\":\"source-resumes\",\"epoch\":3}", WireSamples.settlements().get(1).frame().text());
        assertEquals("a settlement with verdict both", assertThrows(MalformedFrameException.class,
                () -> PeerRequest.Settled.of(Frame.text(MessageType.REPLY, "{\"verdict\":\"both\",\"epoch\":1}"))).getMessage());
        assertEquals("a settlement with verdict null", assertThrows(MalformedFrameException.class,
                () -> PeerRequest.Settled.of(Frame.text(MessageType.REPLY, "{\"epoch\":1}"))).getMessage());
        assertEquals("a settlement with epoch -4", assertThrows(MalformedFrameException.class,
                () -> PeerRequest.Settled.of(Frame.text(MessageType.REPLY, "{\"verdict\":\"target-has-it\",\"epoch\":-4}"))).getMessage());
        assertEquals("a ERROR frame where a settlement belongs", assertThrows(MalformedFrameException.class,
                () -> PeerRequest.Settled.of(Frame.text(MessageType.ERROR, "no"))).getMessage());
        String settle = "{\"op\":\"settle\",\"job\":\"a.7\",\"node\":\"b\",\"spec\":{";
        assertEquals(settle, PeerRequest.settle(WireSamples.SPEC, "b").frame().text().substring(0, settle.length()));
    }

    @Test
    void refusesRequestsThatCannotBeServed() {
        assertEquals("unknown request fly", refusal("{\"op\":\"fly\"}"));
        assertEquals("a request without an op", refusal("{\"job\":\"a.7\"}"));
        assertEquals("a request without an op", refusal("[\"list\"]"));
        assertEquals("has without a job", refusal("{\"op\":\"has\"}"));
        assertEquals("has of a job with a bad id", refusal("{\"op\":\"has\",\"job\":\"../../etc\"}"));
        assertEquals("migrate without a node", refusal("{\"op\":\"migrate\",\"job\":\"a.7\"}"));
        assertEquals("checkpoint without a uid", refusal("{\"op\":\"checkpoint\",\"job\":\"a.7\"}"));
        assertEquals("checkpoint without a job", refusal("{\"op\":\"checkpoint\",\"uid\":0}"));
        assertEquals("checkpoint of a job with a bad id", refusal("{\"op\":\"checkpoint\",\"job\":\"../x\",\"uid\":0}"));
        String spec = "\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[\"x\"]";
        assertEquals("settle without a node", refusal("{\"op\":\"settle\"," + spec + "}}"));
        assertEquals("settle with a bad node name", refusal("{\"op\":\"settle\",\"node\":\"../b\"," + spec + "}}"));
        assertEquals("settle with a bad node name", refusal("{\"op\":\"settle\",\"node\":\"" + "b".repeat(65) + "\"," + spec + "}}"));
        assertEquals("settle of job a.7 at epoch -1", refusal("{\"op\":\"settle\",\"node\":\"b\"," + spec + ",\"epoch\":-1}}"));
        assertEquals("settle without a job spec", refusal("{\"op\":\"settle\",\"job\":\"a.7\",\"node\":\"b\"}"));
        assertEquals("settle of a job with a bad id", refusal("{\"op\":\"settle\",\"node\":\"b\",\"spec\":{\"id\":\"../a\",\"home\":\"a\",\"argv\":[]}}"));
        assertEquals("compact without a job", refusal("{\"op\":\"compact\",\"keep\":3}"));
        assertEquals("compact of a job with a bad id", refusal("{\"op\":\"compact\",\"job\":\"../a\",\"keep\":3}"));
        assertEquals("compact without a count to keep", refusal("{\"op\":\"compact\",\"job\":\"a.7\"}"));
        assertEquals("compact keeping 0 checkpoints (1 to 100)", refusal("{\"op\":\"compact\",\"job\":\"a.7\",\"keep\":0}"));
        assertEquals("compact keeping 101 checkpoints (1 to 100)", refusal("{\"op\":\"compact\",\"job\":\"a.7\",\"keep\":101}"));
        assertEquals("seal without a manifest", refusal("{\"op\":\"seal\",\"job\":\"a.7\"}"));
        assertEquals("seal without a manifest", refusal("{\"op\":\"seal\",\"job\":\"a.7\",\"manifest\":[1]}"));
        assertEquals("seal of a job with a bad id", refusal("{\"op\":\"seal\",\"job\":\"/etc\",\"manifest\":{}}"));
        assertEquals("start without a job spec", refusal("{\"op\":\"start\",\"job\":\"a.7\"}"));
        assertEquals("migrate-in without an offer", refusal("{\"op\":\"migrate-in\",\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[]}}"));
        assertEquals("attach of job a.7 without its home", refusal("{\"op\":\"attach\",\"spec\":{\"id\":\"a.7\",\"argv\":[]}}"));
        refusal("{\"op\":\"attach\",\"spec\":{\"id\":\"a.7\",\"home\":\"a\"}}"); // a spec without its command
        assertEquals("start of job a.7 with a home that is not its own", refusal("{\"op\":\"start\",\"spec\":{\"id\":\"a.7\",\"home\":\"b\",\"argv\":[]}}"));
        assertEquals("start of job a.7 with a home that is not its own", refusal("{\"op\":\"start\",\"spec\":{\"id\":\"a.7\",\"home\":\"../a\",\"argv\":[]}}"));
        assertEquals("start of job a.7 for a negative uid or gid", refusal("{\"op\":\"start\",\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"uid\":-1,\"argv\":[]}}"));
        assertEquals("start of job a.7 in a directory that is no absolute path",
                refusal("{\"op\":\"start\",\"cwd\":\"../../etc\",\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[]}}"));
        assertEquals("start of job a.7 in a directory that is no absolute path",
                refusal("{\"op\":\"start\",\"cwd\":\"/tmp\\u0000x\",\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[]}}"));
        String offer = "\"offer\":{\"from\":\"b\",\"paths\":[\"relative/x\"]}";
        assertEquals("migrate-in of job a.7 using a file that is no absolute path",
                refusal("{\"op\":\"migrate-in\"," + offer + ",\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[]}}"));
        assertEquals("migrate-in of job a.7 from a bad node name",
                refusal("{\"op\":\"migrate-in\",\"offer\":{\"from\":\"../b\"},\"spec\":{\"id\":\"a.7\",\"home\":\"a\",\"argv\":[]}}"));
        assertEquals("grant without its sealed part", refusal("{\"op\":\"grant\"}"));
        assertEquals("revoke without its sealed part", refusal("{\"op\":\"revoke\",\"sealed\":\"\"}"));
        assertEquals("revoke with a sealed part that is not base64", refusal("{\"op\":\"revoke\",\"sealed\":\"../x\"}"));
        assertEquals("grant with a sealed part over 4096 characters", refusal("{\"op\":\"grant\",\"sealed\":\"" + "A".repeat(4100) + "\"}"));
        refusal("{\"op\":\"list\"");
        assertEquals("a LIST frame where a request belongs",
                assertThrows(MalformedFrameException.class, () -> PeerRequest.decode(Frame.text(MessageType.LIST, "[]"))).getMessage());
    }
}

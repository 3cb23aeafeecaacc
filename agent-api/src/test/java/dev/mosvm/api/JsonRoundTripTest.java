package dev.mosvm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The messages host and agent exchange come back from JSON as they went (every field, the
 * other side's unknown ones ignored), and the job views keep the field names and order that
 * `mosps --json` has always printed: the host prints the same JSON from them.
 */
class JsonRoundTripTest {
    static final MigrationRecord RECORD = new MigrationRecord("ca", "cb", "2026-12-04T12:00:00Z", 3, 412, 2870, 52_428_800,
            "balanced", "1.00 there vs 0.21 here", 8.2, "sealed");
    static final JobView JOB = new JobView("ca.1700000001", 1000, "alice", "ca", "cb", "RUNNING", List.of("perl", "hog.pl", "200"),
            "2026-12-04T11:59:00Z", 12.345, 204_800, 1, false, List.of(RECORD), "balanced", null, 10.4, false,
            new CheckpointRecord("ca.1700000001", 2, "/pool/ca/.mosvm-checkpoints/ca.1700000001/2", "2026-12-04T12:01:00Z", "cb", 1 << 20, 1, 9 << 20, 310, 1), 1);

    static <T> T roundTrip(Object value, Class<T> type) throws Exception {
        return Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(value), type);
    }

    @Test
    void theMessagesComeBackAsTheyWent() throws Exception {
        for (Object m : List.of(RECORD, JOB, new MigrationRequest("ca.17", "home", MigrationMode.USHER), new MigrationRequest("ca.17", "cb", null),
                new BalanceState("ca", true), new RemoveRequest("cc"), new RemoveResponse("lab", "cc", 2, 3, List.of("0a1b2c3d4e5f"), null), new RemoveResponse("lab", "cc", 0, 1, List.of(), "ca"),
                new AdmittersRequest("add", "cb"), new AdmittersList("lab", List.of(new AdmittersList.Admitter("cb", 1))), new JoinRequest("s", "cb", "a2V5"),
                new PoolInitRequest("lab", 3600, 1000, 64, true), new PoolInitResponse("lab", "secret", 1_800_000_000),
                new MoveEvent("ca.17", "ca", "cb", "2026-12-04T12:00:00Z", "moved", "asked", 400, 2800, null),
                new PoolView("lab", "ca", List.of(new NodeView(new NodeInfo("ca", "192.168.122.2", 7946, 2, 0.21, 1.5, 380_000, 2, 4.5),
                        1500, NodeState.SUSPECT)), Map.of("unauthenticated", 2L)),
                new PoolMembership("lab", "cb", "192.168.122.3", 7946, List.of(new PoolMembership.Key(1, "a2V5")), 1, List.of("ca:7946"),
                        "lan", 1000, 64, "ca", null, "bm9kZQ==", 2, List.of("cc"), true, "YXV0aA==", null, "Y2VydA==", 1_765_000_000_000L))) {
            assertEquals(m, roundTrip(m, m.getClass()), m.getClass().getSimpleName());
        }
    }

    @Test
    void factsComeBackWithTheirLoadAverages() throws Exception {
        AgentFacts f = new AgentFacts("ca", "192.168.122.2", 2, 0.21, 469_000, 371_000, new double[] {0.5, 0.25, 0.125}, "0.1.0",
                "0.1.0+abc", "6.1.0", 34.2, new AgentFacts.BootTimings(3.1, 20.4, 31.9), 42_000, 1.25, new AgentFacts.Serving(23, 1200, 2), "a2V5",
                "d2c=", "10.213.77.11:51820");
        String json = Json.MAPPER.writeValueAsString(f);
        assertEquals(json, Json.MAPPER.writeValueAsString(roundTrip(f, AgentFacts.class)));
    }

    @Test
    void factsOfAnAgentThatDoesNotReportServingReadWithoutIt() throws Exception {
        // an agent of an older image: every field but "serving"
        String old = "{\"node\":\"ca\",\"address\":\"192.168.122.2\",\"cpus\":2,\"speed\":0.21,\"memTotalKb\":469000,"
                + "\"memAvailableKb\":371000,\"loadAverage\":[0.5,0.25,0.125],\"agentVersion\":\"0.1.0\",\"imageVersion\":\"0.1.0+abc\","
                + "\"kernel\":\"6.1.0\",\"uptimeSeconds\":34.2,\"boot\":{\"userlandAt\":3.1,\"agentStartAt\":20.4,\"agentReadyAt\":31.9},"
                + "\"agentRssKb\":42000,\"agentCpuSeconds\":1.25}";
        AgentFacts f = Json.MAPPER.readValue(old, AgentFacts.class);
        assertEquals("ca", f.node());
        assertEquals(42_000, f.agentRssKb());
        assertEquals(null, f.serving());
    }

    @Test
    void aJobListKeepsTheFieldsMospsHasAlwaysPrinted() throws Exception {
        String json = Json.pretty(List.of(JOB));
        JsonNode job = Json.MAPPER.readTree(json).get(0);
        List<String> fields = new ArrayList<>();
        job.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("id", "uid", "user", "home", "where", "state", "argv", "started", "cpuSeconds", "rssKb", "migrations",
                "pinned", "migrationHistory", "reason", "why", "workDone", "stays", "checkpoint", "checkpointEveryMinutes"), fields,
                "new fields only ever after the old ones");
        List<String> checkpointFields = new ArrayList<>();
        job.get("checkpoint").fieldNames().forEachRemaining(checkpointFields::add);
        assertEquals(List.of("job", "number", "path", "at", "node", "pagesBytes", "parent", "chainBytes", "frozenMillis", "everyMinutes"),
                checkpointFields);
        List<String> moveFields = new ArrayList<>();
        job.get("migrationHistory").get(0).fieldNames().forEachRemaining(moveFields::add);
        assertEquals(List.of("from", "to", "at", "rounds", "freezeMillis", "totalMillis", "bytes", "reason", "why", "workDone",
                "pageStream"), moveFields);
        assertFalse(job.get("why").isMissingNode(), "a null why is printed as null, not left out");
        List<JobView> back = Json.MAPPER.readValue(json, new TypeReference<List<JobView>>() {});
        assertEquals(json, Json.pretty(back), "the host prints the list it read as the agent wrote it");
    }

    @Test
    void fieldsFromANewerSideAreIgnored() throws Exception {
        String newer = Json.MAPPER.writeValueAsString(RECORD).replace("{", "{\"compressedBytes\":123,");
        assertEquals(RECORD, Json.MAPPER.readValue(newer, MigrationRecord.class));
    }
}

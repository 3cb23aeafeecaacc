package dev.mosvm.agent.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mosvm.api.Json;

/**
 * JSON payloads on the wire: the project's one mapper configuration ({@link Json#MAPPER}),
 * reading with this package's limits, and every way a payload can fail to be what it should
 * reported as a {@link MalformedFrameException}.
 */
final class WireJson {
    private WireJson() {}

    private static final ObjectMapper MAPPER = Json.MAPPER.copyWith(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(WireLimits.MAX_JSON_NESTING)
                    .maxDocumentLength(WireLimits.MAX_FRAME_PAYLOAD)
                    .maxStringLength(WireLimits.MAX_FRAME_PAYLOAD)
                    .build())
            .build());

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not writable as JSON: " + value.getClass().getName(), e); // this package's own records
        }
    }

    static <T> T read(byte[] json, Class<T> type) throws MalformedFrameException {
        try {
            return present(MAPPER.readValue(json, type));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw malformed(type.getSimpleName(), e);
        }
    }

    static <T> T read(byte[] json, TypeReference<T> type) throws MalformedFrameException {
        try {
            return present(MAPPER.readValue(json, type));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw malformed(type.getType().getTypeName(), e);
        }
    }

    static JsonNode tree(byte[] json) throws MalformedFrameException {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n == null) throw new MalformedFrameException("empty JSON payload");
            return n;
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw malformed("JSON", e);
        }
    }

    static <T> T read(JsonNode tree, Class<T> type) throws MalformedFrameException {
        try {
            return present(MAPPER.treeToValue(tree, type));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw malformed(type.getSimpleName(), e);
        }
    }

    /** A payload of JSON null is no value at all: readers never expect one. */
    private static <T> T present(T value) throws MalformedFrameException {
        if (value == null) throw new MalformedFrameException("a JSON null where a value belongs");
        return value;
    }

    private static MalformedFrameException malformed(String what, Exception e) {
        if (e instanceof MalformedFrameException m) return m;
        String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return new MalformedFrameException("bad " + what + " payload: " + reason);
    }
}

package dev.mosvm.agent.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mosvm.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The fuzz tests' mutations of valid encodings: what a broken or hostile peer could send that is
 * close to right, so decoding goes past the first check. Byte-level (bit flips, overwritten
 * lengths, cuts, insertions, duplications, splices) and, for JSON payloads, structural (a value
 * replaced by one of another type, size or meaning, a field removed or added). The checkpoint
 * manifests' fuzz test uses them too: a manifest is read from a filesystem every node can write.
 */
public final class Mutations {
    private Mutations() {}

    /** Values a length or count field is worth trying: at and around the limits, and past them. */
    private static final int[] LENGTHS = {0, 1, 3, 4, 7, 8, 12, 255, 65535, WireLimits.MAX_FRAME_PAYLOAD, WireLimits.MAX_FRAME_PAYLOAD + 1, -1,
            Integer.MAX_VALUE, Integer.MIN_VALUE};

    public static byte[] bytes(byte[] valid, List<byte[]> others, SplittableRandom r) {
        byte[] b = valid;
        for (int k = r.nextInt(1, 7); k > 0; k--) b = once(b, others, r);
        return b;
    }

    private static byte[] once(byte[] b, List<byte[]> others, SplittableRandom r) {
        int n = b.length;
        int at = n == 0 ? 0 : r.nextInt(n);
        switch (r.nextInt(9)) {
            case 0 -> { // flip a bit
                if (n == 0) return b;
                b = b.clone();
                b[at] ^= (byte) (1 << r.nextInt(8));
            }
            case 1 -> { // a byte worth trying
                if (n == 0) return b;
                b = b.clone();
                b[at] = (byte) new int[] {0, 1, 0x7f, 0x80, 0xff, '\0', '/', '.', '"', '{', '[', r.nextInt(256)}[r.nextInt(12)];
            }
            case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(n + 1)); // cut short
            case 3 -> { // insert
                byte[] extra = new byte[r.nextInt(1, 17)];
                r.nextBytes(extra);
                b = splice(b, at, at, extra);
            }
            case 4 -> b = splice(b, at, Math.min(n, at + r.nextInt(1, 33)), new byte[0]); // delete
            case 5 -> { // duplicate a chunk elsewhere
                int from = n == 0 ? 0 : r.nextInt(n);
                b = splice(b, at, at, java.util.Arrays.copyOfRange(b, from, Math.min(n, from + r.nextInt(1, 65))));
            }
            case 6 -> { // a 32-bit field (a frame length, a status, a size's half) set to a value worth trying
                if (n < 4) return b;
                b = b.clone();
                int v = LENGTHS[r.nextInt(LENGTHS.length)];
                int p = r.nextInt(n - 3);
                b[p] = (byte) (v >>> 24);
                b[p + 1] = (byte) (v >>> 16);
                b[p + 2] = (byte) (v >>> 8);
                b[p + 3] = (byte) v;
            }
            case 7 -> { // a frame type from elsewhere
                if (n == 0) return b;
                b = b.clone();
                b[at] = (byte) MessageType.values()[r.nextInt(MessageType.values().length)].code;
            }
            default -> { // splice in part of another valid encoding
                if (others.isEmpty()) return b;
                byte[] o = others.get(r.nextInt(others.size()));
                int from = o.length == 0 ? 0 : r.nextInt(o.length);
                b = splice(b, at, Math.min(n, at + r.nextInt(0, 64)), java.util.Arrays.copyOfRange(o, from, Math.min(o.length, from + r.nextInt(1, 129))));
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
        out.write(b, 0, from);
        out.writeBytes(insert);
        out.write(b, to, b.length - to);
        return out.toByteArray();
    }

    /** {@code json} with one to three values replaced, removed or added. */
    public static byte[] json(byte[] json, SplittableRandom r) {
        try {
            JsonNode root = Json.MAPPER.readTree(json);
            for (int k = r.nextInt(1, 4); k > 0; k--) root = mutate(root, r);
            return Json.MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode mutate(JsonNode root, SplittableRandom r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        if (containers.isEmpty() || r.nextInt(20) == 0) return oddValue(r);
        JsonNode c = containers.get(r.nextInt(containers.size()));
        if (c instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> i = o.fieldNames(); i.hasNext(); ) names.add(i.next());
            switch (r.nextInt(4)) {
                case 0 -> {
                    if (!names.isEmpty()) o.remove(names.get(r.nextInt(names.size())));
                }
                case 1 -> o.set("x" + r.nextInt(3), oddValue(r));
                default -> {
                    if (!names.isEmpty()) o.set(names.get(r.nextInt(names.size())), oddValue(r));
                }
            }
        } else if (c instanceof ArrayNode a) {
            if (a.isEmpty() || r.nextBoolean()) a.add(oddValue(r));
            else a.set(r.nextInt(a.size()), oddValue(r));
        }
        return root;
    }

    private static void collect(JsonNode n, List<JsonNode> into) {
        if (!n.isContainerNode()) return;
        into.add(n);
        for (JsonNode child : n) collect(child, into);
    }

    /** A value of a type, size or meaning a field might not expect. */
    private static JsonNode oddValue(SplittableRandom r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(16)) {
            case 0 -> f.nullNode();
            case 1 -> f.textNode("");
            case 2 -> f.textNode("../../etc/passwd");
            case 3 -> f.textNode("a".repeat(r.nextInt(1, 2000)));
            case 4 -> f.numberNode(-1);
            case 5 -> f.numberNode(Long.MAX_VALUE);
            case 6 -> f.numberNode(new java.math.BigInteger("9".repeat(40)));
            case 7 -> f.numberNode(Double.NaN);
            case 8 -> f.numberNode(1e308);
            case 9 -> f.booleanNode(r.nextBoolean());
            case 10 -> f.arrayNode();
            case 11 -> f.objectNode();
            case 12 -> f.textNode("not base64 ~~");
            case 13 -> f.textNode(new String[] {"list", "has", "migrate-in", "start", "attach", "migrate", "moves"}[r.nextInt(7)]);
            case 14 -> {
                ArrayNode deep = f.arrayNode();
                ArrayNode a = deep;
                for (int i = r.nextInt(1, 3 * WireLimits.MAX_JSON_NESTING); i > 0; i--) a = a.addArray();
                yield deep;
            }
            default -> f.numberNode(r.nextInt());
        };
    }
}

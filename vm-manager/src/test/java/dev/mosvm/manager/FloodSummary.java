package dev.mosvm.manager;

import java.util.HashMap;
import java.util.Map;

/** The line scripts/flood-agent.sh ends with ("flood: key=value ..."), as numbers by key. */
public final class FloodSummary {
    private FloodSummary() {}

    public static Map<String, Integer> parse(String output) {
        String line = output.lines().filter(l -> l.startsWith("flood: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no summary from flood-agent.sh in: " + output));
        Map<String, Integer> m = new HashMap<>();
        for (String kv : line.substring("flood: ".length()).split(" ")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), Integer.parseInt(kv.substring(eq + 1)));
        }
        return m;
    }
}

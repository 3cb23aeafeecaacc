package dev.mosvm.manager.appliance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The guest's serial console log: its tail explains a boot that went wrong. */
public final class SerialLog {
    private SerialLog() {}

    public static String tail(Path log, int lines) {
        try {
            if (!Files.isReadable(log)) return "(no serial output at " + log + ")";
            String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).replace("\r", "");
            List<String> all = text.lines().filter(l -> !l.isBlank()).toList();
            List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
            return last.isEmpty() ? "(serial console is empty: the kernel printed nothing)" : String.join("\n", last);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }
}

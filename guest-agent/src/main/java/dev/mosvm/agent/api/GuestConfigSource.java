package dev.mosvm.agent.api;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the {@link GuestConfig} the manager handed over: by default the fw_cfg entry
 * (the qemu_fw_cfg module may still be loading early in boot, hence the wait).
 */
public final class GuestConfigSource {
    private GuestConfigSource() {}

    public static GuestConfig load(Path explicit, long waitMillis) throws IOException, InterruptedException {
        Path path = explicit != null ? explicit : GuestLayout.GUEST_CONFIG;
        long deadline = Monotonic.millis() + waitMillis;
        while (!Files.isReadable(path) && Monotonic.millis() < deadline) {
            Thread.sleep(200);
        }
        if (!Files.isReadable(path)) {
            throw new IOException("no guest configuration at " + path
                    + " (was the VM started by `mosvm up`? is the qemu_fw_cfg module loaded?)");
        }
        GuestConfig cfg = Json.MAPPER.readValue(Files.readAllBytes(path), GuestConfig.class);
        if (cfg.secret() == null || cfg.secret().length() < 32 || cfg.tlsKeystoreBase64() == null) {
            throw new IOException("guest configuration at " + path + " lacks a secret or TLS identity");
        }
        return cfg;
    }
}

package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest configuration handed over at each `up` carries that `up`'s overlay endpoint and WireGuard port, and keeps the rest. */
class GuestOverlayConfigTest {
    @TempDir Path dir;

    GuestConfig read(InstanceLayout l) throws Exception {
        return Json.MAPPER.readValue(l.guestConfig().toFile(), GuestConfig.class);
    }

    @Test
    void eachUpWritesItsEndpointOverTheLastOnesAndKeepsTheSecretAndTlsIdentity() throws Exception {
        InstanceLayout l = new InstanceLayout(dir);
        // as an instance made before the overlay has it: four fields
        InstanceStore.writePrivate(l.guestConfig(), "{\"node\":\"a\",\"secret\":\"s3cret\",\"tlsKeystoreBase64\":\"UEsx\",\"tlsKeystorePassword\":\"pw\"}");
        GuestConfig old = read(l);
        assertNull(old.overlayEndpoint());
        assertEquals(0, old.overlayPort());

        ApplianceLifecycle.updateOverlay(l, "192.168.1.20:51820", 51820);
        assertEquals(new GuestConfig("a", "s3cret", "UEsx", "pw", "192.168.1.20:51820", 51820), read(l));

        ApplianceLifecycle.updateOverlay(l, "10.0.0.7:51821", 51821); // another network, 51820 taken there
        assertEquals(new GuestConfig("a", "s3cret", "UEsx", "pw", "10.0.0.7:51821", 51821), read(l));

        ApplianceLifecycle.updateOverlay(l, null, 0); // libvirt without --endpoint
        assertEquals(new GuestConfig("a", "s3cret", "UEsx", "pw", null, 0), read(l));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(l.guestConfig())), "it holds the instance's secret");
        assertFalse(Files.exists(dir.resolve(InstanceLayout.GUEST_CONFIG + ".new")), "nothing left beside it");
    }
}

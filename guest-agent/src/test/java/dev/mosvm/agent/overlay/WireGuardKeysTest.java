package dev.mosvm.agent.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WireGuardKeysTest {
    @TempDir
    Path dir;

    @Test
    void thePublicKeyIsRfc7748sForItsPrivateKey() {
        // RFC 7748, section 6.1: Alice's private key and public key
        byte[] secret = HexFormat.of().parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                HexFormat.of().formatHex(WireGuardKeys.publicKeyOf(secret)));
    }

    @Test
    void aKeyIsMadeOnceKeptRootOnlyAndReadBackAsWgWritesIt() throws Exception {
        Path file = dir.resolve("wg.key");
        WireGuardKeys made = WireGuardKeys.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String stored = Files.readString(file).strip();
        assertEquals(32, Base64.getDecoder().decode(stored).length, "base64 of 32 bytes, as wg's private-key file");
        WireGuardKeys again = WireGuardKeys.loadOrCreate(file);
        assertArrayEquals(made.publicKey(), again.publicKey());
        assertEquals(made.publicKeyBase64(), Base64.getEncoder().encodeToString(WireGuardKeys.publicKeyOf(Base64.getDecoder().decode(stored))));
    }

    @Test
    void aDamagedKeyFileIsReplaced() throws Exception {
        Path file = dir.resolve("wg.key");
        Files.writeString(file, "not a key\n");
        WireGuardKeys k = WireGuardKeys.loadOrCreate(file);
        assertEquals(32, Base64.getDecoder().decode(Files.readString(file).strip()).length);
        assertNotEquals(0, k.publicKey().length);
    }

    @Test
    void keysFromTheNetworkAreChecked() {
        assertEquals("a WireGuard key is not base64", assertThrows(IllegalArgumentException.class, () -> WireGuardKeys.decodeKey("$$$")).getMessage());
        assertEquals("a WireGuard key is 32 bytes, not 3", assertThrows(IllegalArgumentException.class, () -> WireGuardKeys.decodeKey("AAAA")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> WireGuardKeys.decodeKey(null));
    }
}

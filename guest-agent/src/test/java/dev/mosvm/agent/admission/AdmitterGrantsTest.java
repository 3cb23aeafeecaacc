package dev.mosvm.agent.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.PoolMembership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A grant opens only for the member it was sealed for, and only with the pool's own secrets inside. */
class AdmitterGrantsTest {
    private static byte[] random32() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private final byte[] master = random32();
    private final PoolAuthority authority = PoolAuthority.create("a");
    private final PoolMembership.Grant grant = new PoolMembership.Grant(3, Base64.getEncoder().encodeToString(master), authority.secretBase64());

    private PoolMembership.Grant open(byte[] nodeKey, String node, String sealed, String authorityKey) {
        return AdmitterGrants.open(nodeKey, "lab", node, Base64.getDecoder().decode(sealed), authorityKey);
    }

    @Test
    void theNamedMemberOpensItsGrant() {
        String sealed = AdmitterGrants.seal(master, "lab", "b", grant);
        assertEquals(grant, open(KeyEnvelope.nodeKey(master, "lab", "b"), "b", sealed, authority.publicKeyBase64()));
        assertEquals("Grant[number=3, secrets=<redacted>]", grant.toString(), "secrets stay out of logs");
    }

    @Test
    void noOtherMemberOpensItAndNoForeignSecretPasses() {
        String sealed = AdmitterGrants.seal(master, "lab", "b", grant);
        assertEquals("the grant is not sealed for this node", assertThrows(SecurityException.class,
                () -> open(KeyEnvelope.nodeKey(master, "lab", "c"), "c", sealed, authority.publicKeyBase64())).getMessage());
        byte[] tampered = Base64.getDecoder().decode(sealed);
        tampered[20] ^= 1;
        assertEquals("the grant is not sealed for this node", assertThrows(SecurityException.class,
                () -> open(KeyEnvelope.nodeKey(master, "lab", "b"), "b", Base64.getEncoder().encodeToString(tampered), authority.publicKeyBase64())).getMessage());
        // sealed with the real master, carrying another pool's authority or master
        PoolMembership.Grant otherAuthority = new PoolMembership.Grant(3, grant.master(), PoolAuthority.create("a").secretBase64());
        assertEquals("the grant's authority secret is not the pool's", assertThrows(SecurityException.class,
                () -> open(KeyEnvelope.nodeKey(master, "lab", "b"), "b", AdmitterGrants.seal(master, "lab", "b", otherAuthority), authority.publicKeyBase64())).getMessage());
        PoolMembership.Grant otherMaster = new PoolMembership.Grant(3, Base64.getEncoder().encodeToString(random32()), grant.authoritySecret());
        assertEquals("the grant's master secret is not this pool's", assertThrows(SecurityException.class,
                () -> open(KeyEnvelope.nodeKey(master, "lab", "b"), "b", AdmitterGrants.seal(master, "lab", "b", otherMaster), authority.publicKeyBase64())).getMessage());
        PoolMembership.Grant tooHigh = new PoolMembership.Grant(201, grant.master(), grant.authoritySecret());
        assertEquals("the grant's number 201 is not 1 to 200", assertThrows(SecurityException.class,
                () -> open(KeyEnvelope.nodeKey(master, "lab", "b"), "b", AdmitterGrants.seal(master, "lab", "b", tooHigh), authority.publicKeyBase64())).getMessage());
    }

    @Test
    void theFounderNeverGivesANumberTwiceAcrossRestarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("admitters.json");
        Admitters a = Admitters.load(file);
        a.named("b", a.reserve());
        a.named("c", a.reserve());
        a.withdrawn("c");
        a.reserve(); // a grant whose answer was lost: its number is burnt
        Admitters again = Admitters.load(file);
        assertEquals(List.of(new AdmittersList.Admitter("b", 1)), again.list());
        assertEquals(4, again.reserve(), "c's number 2 stays with the joiners it seated, and 3 may have reached a member");
        assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        Files.writeString(file, "{not json");
        assertThrows(java.io.IOException.class, () -> Admitters.load(file), "an unreadable record is never taken as empty");
    }
}

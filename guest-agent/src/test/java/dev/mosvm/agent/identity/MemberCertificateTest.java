package dev.mosvm.agent.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates: the wire format round-trips, malformed or tampered bytes are refused, the check binds name, pool and authority. */
class MemberCertificateTest {
    static final PoolAuthority AUTHORITY = PoolAuthority.create("ca");
    static final NodeIdentity NODE = NodeIdentity.ephemeral();
    final MemberCheck check = new MemberCheck("lab", java.util.Base64.getDecoder().decode(AUTHORITY.publicKeyBase64()), Set.of("gone")::contains);

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(64);
    }

    @Property(tries = 50)
    void aCertificateRoundTripsAndChecksOut(@ForAll("names") String node, @ForAll @IntRange(min = 0) int issuedAt) {
        MemberCertificate c = AUTHORITY.certify("lab", node, NODE.publicKey(), issuedAt);
        byte[] bytes = c.encode();
        MemberCheck check = new MemberCheck("lab", java.util.Base64.getDecoder().decode(AUTHORITY.publicKeyBase64()), n -> false); // a check keeps the newest it saw
        assertTrue(bytes.length <= MemberCertificate.MAX_BYTES);
        assertEquals(c, MemberCertificate.decode(bytes));
        assertEquals(c, check.check(bytes, node));
        assertArrayEquals(NODE.publicKey(), check.check(bytes, node).publicKey());
    }

    @Property(tries = 300)
    void anyChangedByteIsRefusedAsMalformedOrUnissued(@ForAll @IntRange(min = 0, max = 10_000) int at, @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] bytes = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 1_700_000_000L).encode();
        bytes[at % bytes.length] ^= (byte) flip;
        assertThrows(SecurityException.class, () -> check.check(bytes, "cb"));
    }

    @Property(tries = 300)
    void randomBytesNeverDecodeToACertificateOrThrowAnythingButTheRefusal(@ForAll byte[] bytes) {
        assertThrows(SecurityException.class, () -> check.check(bytes, "cb"));
    }

    @Property(tries = 100)
    void anOverlaySeatIsCertifiedWithTheKeyAndNoByteOfItCanChange(@ForAll byte[] wireguardKey, @ForAll @IntRange(min = 1, max = 0xFFFD) int host,
            @ForAll @IntRange(min = 0, max = 10_000) int at, @ForAll @IntRange(min = 1, max = 255) int flip) throws Exception {
        byte[] wg = java.util.Arrays.copyOf(wireguardKey, 32);
        var address = (java.net.Inet4Address) java.net.InetAddress.getByAddress(new byte[] {10, 77, (byte) (host >> 8), (byte) host});
        MemberCertificate c = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 7, new MemberCertificate.Overlay(wg, address));
        byte[] bytes = c.encode();
        assertEquals(2, bytes[2], "a seat makes it version 2");
        assertTrue(bytes.length <= MemberCertificate.MAX_BYTES);
        MemberCertificate back = new MemberCheck("lab", java.util.Base64.getDecoder().decode(AUTHORITY.publicKeyBase64()), n -> false).check(bytes, "cb");
        assertArrayEquals(wg, back.overlay().wireguardKey());
        assertEquals(address, back.overlay().address());
        bytes[at % bytes.length] ^= (byte) flip;
        assertThrows(SecurityException.class, () -> check.check(bytes, "cb"));
    }

    @Test
    void aCertificateWithoutASeatStaysVersionOne() {
        byte[] bytes = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 5).encode();
        assertEquals(1, bytes[2], "pools without an overlay read and write what they did before");
        assertEquals(null, MemberCertificate.decode(bytes).overlay());
    }

    @Test
    void truncatedOrLongerCertificatesAreRefused() {
        byte[] bytes = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 5).encode();
        for (int n : List.of(0, 1, 3, bytes.length - 1)) {
            assertThrows(SecurityException.class, () -> check.check(java.util.Arrays.copyOf(bytes, n), "cb"), n + " bytes");
        }
        SecurityException e = assertThrows(SecurityException.class, () -> check.check(java.util.Arrays.copyOf(bytes, bytes.length + 1), "cb"));
        assertEquals("a malformed certificate: trailing bytes after a member certificate", e.getMessage());
    }

    @Test
    void theCheckBindsTheClaimedNameThePoolTheAuthorityAndRemoval() {
        byte[] cb = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 5).encode();
        assertEquals("a certificate of cb shown by a peer that says it is cc",
                assertThrows(SecurityException.class, () -> check.check(cb, "cc")).getMessage());
        assertEquals("a certificate of pool other, not lab",
                assertThrows(SecurityException.class, () -> check.check(AUTHORITY.certify("other", "cb", NODE.publicKey(), 5).encode(), "cb")).getMessage());
        assertEquals("a certificate this pool did not issue",
                assertThrows(SecurityException.class, () -> check.check(PoolAuthority.create("ca").certify("lab", "cb", NODE.publicKey(), 5).encode(), "cb")).getMessage());
        assertEquals("gone was removed from the pool",
                assertThrows(SecurityException.class, () -> check.check(AUTHORITY.certify("lab", "gone", NODE.publicKey(), 5).encode(), "gone")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AUTHORITY.certify("lab", "bad name", NODE.publicKey(), 5));
        assertThrows(IllegalArgumentException.class, () -> AUTHORITY.certify("lab", "cb", new byte[31], 5));
    }

    @Test
    void onlyTheHolderOfTheCertifiedKeySignsForIt() {
        MemberCertificate c = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 5);
        byte[] message = "transcript".getBytes();
        assertTrue(MemberCheck.signedBy(c, message, NODE.sign(message)));
        assertFalse(MemberCheck.signedBy(c, message, NodeIdentity.ephemeral().sign(message)), "another key");
        assertFalse(MemberCheck.signedBy(c, "other".getBytes(), NODE.sign(message)), "another message");
        assertFalse(MemberCheck.signedBy(c, message, new byte[12]), "a malformed signature");
    }

    @Test
    void anIdentityIsMadeOnceKeptRootOnlyAndLoadedAgain(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node-identity");
        NodeIdentity made = NodeIdentity.loadOrCreate(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        NodeIdentity again = NodeIdentity.loadOrCreate(file);
        assertArrayEquals(made.publicKey(), again.publicKey());
        byte[] m = "x".getBytes();
        assertTrue(Ed25519.verify(made.publicKey(), m, again.sign(m)), "the private key came back too");
        Files.writeString(file, "garbage\n");
        NodeIdentity fresh = NodeIdentity.loadOrCreate(file);
        assertFalse(java.util.Arrays.equals(made.publicKey(), fresh.publicKey()), "a damaged key is replaced, so the agent still starts");
        assertEquals("garbage\n", Files.readString(dir.resolve("node-identity.damaged")), "and kept aside");
        assertArrayEquals(fresh.publicKey(), NodeIdentity.loadOrCreate(file).publicKey());
    }

    @Test
    void aMemberThatJoinedAgainWithANewKeyVoidsItsOlderCertificate() {
        MemberCheck fresh = new MemberCheck("lab", java.util.Base64.getDecoder().decode(AUTHORITY.publicKeyBase64()), n -> false);
        byte[] old = AUTHORITY.certify("lab", "cb", NODE.publicKey(), 100).encode();
        byte[] again = AUTHORITY.certify("lab", "cb", NodeIdentity.ephemeral().publicKey(), 200).encode();
        assertEquals("cb", fresh.check(old, "cb").node());
        assertEquals("cb", fresh.check(again, "cb").node());
        assertEquals("a certificate of cb older than one already seen (it joined again with another key)",
                assertThrows(SecurityException.class, () -> fresh.check(old, "cb")).getMessage());
    }

    @Test
    void anAuthorityKeptInAMembershipSignsAsBefore() {
        PoolAuthority restored = PoolAuthority.restore(AUTHORITY.secretBase64(), AUTHORITY.publicKeyBase64(), "ca");
        byte[] bytes = restored.certify("lab", "cd", NODE.publicKey(), 9).encode();
        assertEquals("cd", check.check(bytes, "cd").node());
    }
}

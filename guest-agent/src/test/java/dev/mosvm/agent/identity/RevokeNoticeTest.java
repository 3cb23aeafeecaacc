package dev.mosvm.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Base64;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Removal notices: they round-trip, only the pool's authority signs one, and no changed or random bytes pass. */
class RevokeNoticeTest {
    private static final PoolAuthority AUTHORITY = PoolAuthority.create("b");
    private static final byte[] KEY = Base64.getDecoder().decode(AUTHORITY.publicKeyBase64());

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withChars("abcxyz019.-_").ofMinLength(0).ofMaxLength(63).map(s -> "n" + s);
    }

    @Property(tries = 50)
    void aNoticeRoundTripsAndChecksOut(@ForAll("names") String node, @ForAll @IntRange(min = 0) int at) {
        RevokeNotice n = AUTHORITY.removal("lab", node, at);
        RevokeNotice back = RevokeNotice.decode(n.encode());
        assertEquals(n, back);
        assertEquals(node, back.node());
        assertEquals("b", back.by());
        assertTrue(back.signedBy(KEY));
        assertFalse(back.signedBy(Base64.getDecoder().decode(PoolAuthority.create("b").publicKeyBase64())), "another pool's authority");
    }

    @Property(tries = 300)
    void anyChangedByteIsRefusedAsMalformedOrUnsigned(@ForAll @IntRange(min = 0, max = 10_000) int at, @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] bytes = AUTHORITY.removal("lab", "d", at).encode();
        for (int i = 0; i < bytes.length; i++) {
            byte[] changed = bytes.clone();
            changed[i] ^= (byte) flip;
            try {
                assertFalse(RevokeNotice.decode(changed).signedBy(KEY), "byte " + i);
            } catch (IllegalArgumentException refused) {
                // malformed: refused before any check
            }
        }
    }

    @Property(tries = 300)
    void randomBytesNeverDecodeOrThrowAnythingButTheRefusal(@ForAll byte[] bytes) {
        try {
            assertFalse(RevokeNotice.decode(bytes).signedBy(KEY));
        } catch (IllegalArgumentException refused) {
            // the one way a notice is refused
        }
    }

    @Test
    void truncatedOrLongerNoticesAndOtherVersionsAreRefused() {
        byte[] bytes = AUTHORITY.removal("lab", "d", 1).encode();
        assertEquals("a truncated removal notice", assertThrows(IllegalArgumentException.class,
                () -> RevokeNotice.decode(Arrays.copyOf(bytes, bytes.length - 1))).getMessage());
        assertEquals("trailing bytes after a removal notice", assertThrows(IllegalArgumentException.class,
                () -> RevokeNotice.decode(Arrays.copyOf(bytes, bytes.length + 1))).getMessage());
        byte[] v2 = bytes.clone();
        v2[2] = 2;
        assertEquals("a removal notice of version 2, this agent reads 1", assertThrows(IllegalArgumentException.class, () -> RevokeNotice.decode(v2)).getMessage());
        assertEquals("not a mosvm removal notice", assertThrows(IllegalArgumentException.class,
                () -> RevokeNotice.decode(AUTHORITY.certify("lab", "d", Base64.getDecoder().decode(NodeIdentity.ephemeral().publicKeyBase64()), 1).encode())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> RevokeNotice.decode(null));
    }
}

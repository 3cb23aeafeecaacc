package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.JoinTokenList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {
    @TempDir Path dir;
    long now = 1_796_514_097_000L;

    JoinTokens tokens() throws Exception {
        return JoinTokens.load(dir.resolve("join-tokens.json"), () -> now);
    }

    @Test
    void aTokenAdmitsAsManyNodesAsItsUsesAndNoMore() throws Exception {
        JoinTokens t = tokens();
        String once = t.issue(1, 3600);
        String twice = t.issue(2, 3600);
        String id = t.check(once);
        assertNotNull(id);
        assertEquals(id, t.check(once), "checking uses nothing");
        t.use(id);
        assertNull(t.check(once), "single use: the second join is refused");
        String id2 = t.check(twice);
        t.use(id2);
        assertEquals(List.of(new JoinTokenList.Token(id2, now / 1000 + 3600, 1)), t.live());
        t.use(id2);
        assertNull(t.check(twice));
        assertEquals(List.of(), t.live());
    }

    @Test
    void tokensExpireAndCanBeRevoked() throws Exception {
        JoinTokens t = tokens();
        String a = t.issue(5, 60);
        String b = t.issue(5, 7200);
        now += 61_000;
        assertNull(t.check(a), "expired");
        String idB = t.check(b);
        assertEquals(1, t.live().size());
        assertTrue(t.revoke(idB));
        assertNull(t.check(b), "revoked");
        assertFalse(t.revoke(idB), "revoked once");
        assertNull(t.check(null));
        assertNull(t.check("nonsense"));
    }

    @Test
    void theyOutliveTheAgentAndOnlyTheirHashesAreKept() throws Exception {
        String secret = tokens().issue(3, 3600);
        Path file = dir.resolve("join-tokens.json");
        assertFalse(Files.readString(file).contains(secret), "the secret is not on disk");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        JoinTokens restarted = tokens();
        assertNotNull(restarted.check(secret), "a restarted founder still admits with it");
        restarted.use(restarted.check(secret));
        assertEquals(2, tokens().live().get(0).usesLeft(), "the use is kept too");
        restarted.clear();
        assertFalse(Files.exists(file));
    }

    @Test
    void boundsAreChecked() throws Exception {
        JoinTokens t = tokens();
        assertThrows(IllegalArgumentException.class, () -> t.issue(0, 3600));
        assertThrows(IllegalArgumentException.class, () -> t.issue(1001, 3600));
        assertThrows(IllegalArgumentException.class, () -> t.issue(1, 59));
        assertThrows(IllegalArgumentException.class, () -> t.issue(1, 31L * 24 * 3600));
        for (int i = 0; i < JoinTokens.MAX_LIVE; i++) t.issue(1, 3600);
        assertThrows(IllegalStateException.class, () -> t.issue(1, 3600));
    }
}

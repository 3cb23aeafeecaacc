package dev.mosvm.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class GuestUsersTest {
    @Test
    void rootsJobStaysHomeAndSaysWhy() {
        assertFalse(GuestUsers.mayLeaveHome(0));
        assertEquals("job ca.3 is root's and stays on its home ca: only users' jobs (uid 1000-60000) run on other nodes",
                GuestUsers.refusal("ca.3", 0, "ca"));
    }

    @Test
    void systemAccountsAndNobodyStayHome() {
        for (int uid : new int[] {1, 33, 105, 999, 60001, 65534, -1}) {
            assertFalse(GuestUsers.mayLeaveHome(uid), "uid " + uid);
            assertTrue(GuestUsers.refusal("ca.1", uid, "ca").contains("uid " + uid + ", a system account"), "uid " + uid);
        }
    }

    @Test
    void usersMayLeaveFromTheFirstLoginUidToTheLast() {
        assertTrue(GuestUsers.mayLeaveHome(GuestUsers.FIRST_UID));
        assertTrue(GuestUsers.mayLeaveHome(GuestUsers.LAST_UID));
        assertNull(GuestUsers.refusal("ca.1", 1500, "ca"));
    }

    @Property
    void aRefusalIsExactlyWhatMayNotLeave(@ForAll @IntRange(min = -5, max = 70000) int uid) {
        String why = GuestUsers.refusal("x.1", uid, "x");
        assertEquals(GuestUsers.mayLeaveHome(uid), why == null);
        if (why != null) assertNotNull(why.lines().findFirst().filter(l -> l.equals(why)).orElse(null), "one line");
    }
}

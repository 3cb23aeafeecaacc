package dev.mosvm.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class GuestUsersTest {
    @Test
    void rootsJobStaysHomeAndSaysWhy() {
        assertFalse(GuestUsers.mayLeaveHome(0, 0));
        assertFalse(GuestUsers.mayLeaveHome(0, 1500), "root in a user's group is still root");
        assertEquals("job ca.3 is root's and stays on its home ca: only users' jobs (uid and group 1000-60000) run on other nodes",
                GuestUsers.refusal("ca.3", 0, 0, "ca"));
    }

    @Test
    void systemAccountsAndNobodyStayHome() {
        for (int uid : new int[] {1, 33, 105, 999, 60001, 65534, -1}) {
            assertFalse(GuestUsers.mayLeaveHome(uid, 1500), "uid " + uid);
            assertTrue(GuestUsers.refusal("ca.1", uid, 1500, "ca").contains("is of uid " + uid + ", a system account,"), "uid " + uid);
        }
    }

    @Test
    void aUserInASystemGroupStaysHome() {
        for (int gid : new int[] {0, 6, 15, 999, 60001, 65534}) { // root, disk, kmem, ..., nogroup
            assertFalse(GuestUsers.mayLeaveHome(1500, gid), "gid " + gid);
            assertEquals("job ca.1 runs in group " + gid + ", a system group, and stays on its home ca: only users' jobs (uid and group 1000-60000)"
                    + " run on other nodes", GuestUsers.refusal("ca.1", 1500, gid, "ca"));
        }
    }

    @Test
    void usersMayLeaveFromTheFirstLoginIdToTheLastAndInTheUsersGroup() {
        assertTrue(GuestUsers.mayLeaveHome(GuestUsers.FIRST_ID, GuestUsers.FIRST_ID));
        assertTrue(GuestUsers.mayLeaveHome(GuestUsers.LAST_ID, GuestUsers.LAST_ID));
        assertTrue(GuestUsers.mayLeaveHome(1500, GuestUsers.USERS_GID));
        assertNull(GuestUsers.refusal("ca.1", 1500, 1500, "ca"));
    }

    @Property
    void aRefusalIsExactlyWhatMayNotLeaveAndOneLine(@ForAll @IntRange(min = -5, max = 70000) int uid, @ForAll @IntRange(min = -5, max = 70000) int gid) {
        String why = GuestUsers.refusal("x.1", uid, gid, "x");
        assertEquals(GuestUsers.mayLeaveHome(uid, gid), why == null);
        if (why != null) assertEquals(1, why.lines().count(), why);
    }
}

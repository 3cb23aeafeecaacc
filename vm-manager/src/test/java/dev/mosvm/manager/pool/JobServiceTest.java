package dev.mosvm.manager.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import org.junit.jupiter.api.Test;

/** What `mosvm ps` and `mosvm migrate` make of an agent's refusals. */
class JobServiceTest {
    @Test
    void aRefusedMoveIsTheJobServicesOwnLineAndStatusOne() {
        AgentException refusal = new AgentException("agent refused POST /v1/migrate: HTTP 409 {\"error\":\"job ca.3 was started with -L: "
                + "it stays on its home node\"}", 409, "job ca.3 was started with -L: it stays on its home node", null);
        MosvmException e = assertThrows(MosvmException.class, () -> JobService.refused("ca", refusal));
        assertEquals("job ca.3 was started with -L: it stays on its home node", e.getMessage(), "as `migrate` in the appliance says it");
        assertEquals(ExitCodes.FAILED, e.exitCode(), "as over ssh: migrate exited 1");
    }

    @Test
    void anAgentOlderThanTheJobApiIsAStateErrorWithTheWayOut() {
        MosvmException e = assertThrows(MosvmException.class,
                () -> JobService.refused("ca", new AgentException("agent refused GET /v1/jobs: HTTP 404", 404, null)));
        assertEquals(ExitCodes.BAD_STATE, e.exitCode());
        assertTrue(e.hint().contains("mosvm destroy ca && mosvm up ca"), e.hint());
    }

    @Test
    void anUnreachableOrUnauthorizedAgentIsLeftToTheCommonExplanation() {
        for (AgentException other : new AgentException[] {new AgentException("agent at https://10.0.0.2:7443 unreachable: timeout", -1, null),
                new AgentException("agent refused GET /v1/jobs: HTTP 401", 401, null),
                new AgentException("agent refused GET /v1/jobs: HTTP 409", 409, null)}) {
            assertSame(other, JobService.refused("ca", other));
        }
    }
}

package dev.mosvm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The one rule both CLIs end with: which failure gives which exit status. */
class ExitCodesTest {
    @Test
    void theStatusesAreTheDocumentedOnes() {
        // README: 1 operation failed, 2 bad input, 3 wrong state, 4 environment
        assertEquals(0, ExitCodes.OK);
        assertEquals(1, ExitCodes.FAILED);
        assertEquals(2, ExitCodes.INVALID_INPUT);
        assertEquals(3, ExitCodes.BAD_STATE);
        assertEquals(4, ExitCodes.ENVIRONMENT);
    }

    @Test
    void aFailureThatCarriesAStatusKeepsIt() {
        assertEquals(ExitCodes.BAD_STATE, ExitCodes.of(new CommandFailure(ExitCodes.BAD_STATE, "no instance named 'x'", null)));
        assertEquals(ExitCodes.ENVIRONMENT, ExitCodes.of(new CommandFailure(ExitCodes.ENVIRONMENT, "no libvirt", "install it")));
    }

    @Test
    void usageAccessAndEverythingElse() {
        assertEquals(ExitCodes.INVALID_INPUT, ExitCodes.of(new CommandLine.ParameterException(new CommandLine(CommandLine.Model.CommandSpec.create()), "bad")));
        assertEquals(ExitCodes.ENVIRONMENT, ExitCodes.of(new AccessDeniedException("/root/.mosvm")));
        assertEquals(ExitCodes.FAILED, ExitCodes.of(new NoSuchFileException("/x")), "a missing file is not a permission problem");
        assertEquals(ExitCodes.FAILED, ExitCodes.of(new AgentException("agent refused GET /v1/jobs: HTTP 409", 409, null)));
        assertEquals(ExitCodes.FAILED, ExitCodes.of(new IOException("cannot reach this appliance's agent")));
        assertEquals(ExitCodes.FAILED, ExitCodes.of(new InterruptedException()));
        assertEquals(ExitCodes.FAILED, ExitCodes.of(new IllegalStateException("a bug")));
    }
}

package dev.mosvm.manager.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mosvm.api.AgentException;
import dev.mosvm.api.CliErrors;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The host's failures as a user sees them: the line, the hint below it, the exit status. */
class ErrorHandlerTest {
    @CommandLine.Command(name = "mosvm")
    record Failing(Exception failure) implements Callable<Integer> {
        @Override public Integer call() throws Exception {
            throw failure;
        }
    }

    record Outcome(int code, String[] lines) {}

    static Outcome handle(Exception e) {
        CommandLine cl = CliErrors.install(new CommandLine(new Failing(e)), ErrorHandler::explain);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute();
        return new Outcome(code, err.toString().split("\n"));
    }

    @Test
    void anUnreachableAgentIsTheAppliancesStateNotABug() {
        Outcome o = handle(new AgentException("agent at https://10.0.0.2:7443 unreachable: request timed out", -1, null));
        assertEquals("mosvm: error: agent at https://10.0.0.2:7443 unreachable: request timed out", o.lines()[0]);
        assertEquals("  is the appliance up and its agent started? 'mosvm status' shows each appliance's state", o.lines()[1]);
        assertEquals(ExitCodes.FAILED, o.code());
        assertFalse(String.join("\n", o.lines()).contains("bug"), String.join("\n", o.lines()));
    }

    @Test
    void anUnexpectedExceptionIsReportedAsABug() {
        Outcome o = handle(new IllegalStateException("boom"));
        assertEquals("mosvm: error: IllegalStateException: boom", o.lines()[0]);
        assertEquals("  this is a bug in mosvm; rerun with MOSVM_DEBUG=1 for the stack trace", o.lines()[1]);
        assertEquals(ExitCodes.FAILED, o.code());
    }

    @Test
    void aFailureCarriesItsStatusAndEveryLineOfItsHint() {
        Outcome o = handle(MosvmException.state("no instance named 'ghost'", "see `mosvm list`\nor `mosvm up ghost`"));
        assertEquals(ExitCodes.BAD_STATE, o.code());
        assertEquals(3, o.lines().length);
        assertEquals("  or `mosvm up ghost`", o.lines()[2]);
    }

    @Test
    void aFileThatMayNotBeTouchedIsTheEnvironment() {
        Outcome o = handle(new AccessDeniedException("/var/lib/mosvm"));
        assertEquals(ExitCodes.ENVIRONMENT, o.code());
        assertEquals("mosvm: error: no permission to use /var/lib/mosvm", o.lines()[0]);
    }
}

package dev.mosvm.manager.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mosvm.api.AgentException;
import dev.mosvm.manager.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ErrorHandlerTest {
    @CommandLine.Command(name = "mosvm")
    static final class Nothing implements Runnable {
        @Override public void run() {}
    }

    static String[] handle(Exception e, int[] code) {
        CommandLine cl = new CommandLine(new Nothing());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        code[0] = new ErrorHandler().handleExecutionException(e, cl, null);
        return err.toString().split("\n");
    }

    @Test
    void anUnreachableAgentIsTheAppliancesStateNotABug() {
        int[] code = new int[1];
        String[] lines = handle(new AgentException("agent at https://10.0.0.2:7443 unreachable: request timed out", -1, null), code);
        assertEquals("mosvm: error: agent at https://10.0.0.2:7443 unreachable: request timed out", lines[0]);
        assertEquals("  is the appliance up and its agent started? 'mosvm status' shows each appliance's state", lines[1]);
        assertEquals(ExitCodes.FAILED, code[0]);
        assertFalse(String.join("\n", lines).contains("bug"), String.join("\n", lines));
    }

    @Test
    void anUnexpectedExceptionIsReportedAsABug() {
        int[] code = new int[1];
        String[] lines = handle(new IllegalStateException("boom"), code);
        assertEquals("mosvm: error: IllegalStateException: boom", lines[0]);
        assertEquals("  this is a bug in mosvm; rerun with MOSVM_DEBUG=1 for the stack trace", lines[1]);
    }
}

package dev.mosvm.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GuestCliTest {
    @Test
    void aBadBalanceModeIsAUsageErrorAsOnTheHost() {
        CommandLine cl = new CommandLine(new GuestCli());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("balance", "sideways")); // parsed before any agent is asked
        assertTrue(err.toString().contains("expected one of [on, off, status]") && err.toString().contains("'sideways'"), err.toString());
    }
}

package dev.mosvm.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GuestCliTest {
    record Run(int exit, String out, String err) {}

    static Run run(Object command, String... args) {
        CommandLine cl = GuestCli.commandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aBadBalanceModeIsAUsageErrorAsOnTheHost() {
        Run r = run(new GuestCli(), "balance", "sideways"); // parsed before any agent is asked
        assertEquals(ExitCodes.INVALID_INPUT, r.exit());
        assertTrue(r.err().startsWith("mosvm: error: ") && r.err().contains("expected one of [on, off, status]")
                && r.err().contains("'sideways'"), r.err());
    }

    @Test
    void anUnknownCommandIsAnErrorEvenWhenHelpFollowsIt() {
        for (String[] args : List.of(new String[] {"frobnicate"}, new String[] {"frobnicate", "--help"})) {
            Run r = run(new GuestCli(), args);
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), r.out());
            assertEquals("", r.out());
            assertEquals("mosvm: error: unknown command 'frobnicate'", r.err().lines().findFirst().orElseThrow(), r.err());
            assertTrue(r.err().contains("see 'mosvm --help' for the commands"), r.err());
        }
    }

    @Test
    void withoutItsConfigurationTheGuestCliSaysWhyAndExitsWithTheEnvironmentStatus() {
        Run r = run(new GuestCli(), "--config", "/nonexistent/guest-config.json", "nodes");
        assertEquals(ExitCodes.ENVIRONMENT, r.exit(), r.err());
        assertTrue(r.err().startsWith("mosvm: error: "), r.err());
        assertTrue(r.err().contains("/nonexistent/guest-config.json"), r.err());
    }

    @Test
    void mospsAndMigrateWithoutAJobServiceFailWithOneLineAndStatusOne() {
        Run ps = run(new Mosps(), "--socket", "/nonexistent/jobs.sock");
        assertEquals(ExitCodes.FAILED, ps.exit());
        assertEquals("mosps: error: cannot reach this appliance's agent at /nonexistent/jobs.sock", ps.err().lines().findFirst().orElseThrow()
                .replaceFirst(" \\(.*", ""), ps.err());
        Run mig = run(new Migrate(), "--socket", "/nonexistent/jobs.sock", "a.1", "b");
        assertEquals(ExitCodes.FAILED, mig.exit());
        assertTrue(mig.err().startsWith("migrate: error: cannot reach this appliance's agent"), mig.err());
        assertEquals(ExitCodes.INVALID_INPUT, run(new Migrate(), "a.1").exit(), "NODE is missing");
        Run ckpt = run(new Migrate(), "--socket", "/nonexistent/jobs.sock", "a.1", "checkpoint");
        assertEquals(ExitCodes.FAILED, ckpt.exit());
        assertTrue(ckpt.err().startsWith("migrate: error: cannot reach this appliance's agent"), ckpt.err());
    }

    @Test
    void aCheckpointTakesNoneOfAMovesOptions() {
        for (String option : List.of("--stop-and-copy", "--eager-restore")) {
            Run r = run(new Migrate(), "--socket", "/nonexistent/jobs.sock", "a.1", "checkpoint", option); // refused before the agent is asked
            assertEquals(ExitCodes.INVALID_INPUT, r.exit(), r.err());
            assertEquals("migrate: error: --stop-and-copy and --eager-restore are for moves: a checkpoint takes neither",
                    r.err().lines().findFirst().orElseThrow());
        }
        assertTrue(run(new Migrate(), "--help").out().contains("'checkpoint'"), "NODE's help names it");
    }
}

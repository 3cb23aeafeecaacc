package dev.mosvm.api;

import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * How every mosvm command line (the host's `mosvm`, and `mosvm`, `mosps` and `migrate` inside an
 * appliance) reports what went wrong: one line "PROGRAM: error: MESSAGE", an indented hint, and
 * the status {@link ExitCodes#of} gives the failure. Stack traces only with MOSVM_DEBUG=1.
 */
public final class CliErrors {
    private CliErrors() {}

    /** What to tell the user about a failure: the line, and an optional hint (may span lines). */
    public record Explanation(String message, String hint) {}

    /** Sets the handlers on {@code cl}; {@code explain} words the failures of its commands. */
    public static CommandLine install(CommandLine cl, Function<Exception, Explanation> explain) {
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            Explanation e = explain.apply(ex);
            print(err, line.getCommandSpec(), e.message(), e.hint());
            if (System.getenv("MOSVM_DEBUG") != null) ex.printStackTrace(err);
            err.flush();
            return ExitCodes.of(ex);
        });
        cl.setParameterExceptionHandler(CliErrors::usageError);
        cl.setExecutionStrategy(CliErrors::unknownCommandsFirst);
        return cl;
    }

    /** The plain explanation: the failure's message, and its hint if it carries one. */
    public static Explanation plain(Exception ex) {
        return new Explanation(ex.getMessage(), ex instanceof CommandFailure f ? f.hint() : null);
    }

    private static void print(PrintWriter err, CommandSpec spec, String message, String hint) {
        err.println(spec.root().name() + ": error: " + message);
        if (hint != null && !hint.isBlank()) hint.lines().forEach(l -> err.println("  " + l));
    }

    /**
     * picocli answers a help request even when a word before it matched nothing, so
     * `mosvm frobnicate --help` would print the top-level help and succeed: a script could not
     * tell a command that does not exist. Words that matched nothing are refused before any help.
     */
    private static int unknownCommandsFirst(ParseResult parsed) {
        ParseResult last = parsed;
        while (last.hasSubcommand()) last = last.subcommand();
        if (!last.unmatched().isEmpty()) {
            throw new CommandLine.UnmatchedArgumentException(last.commandSpec().commandLine(), last.unmatched());
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** Bad usage: one line, picocli's suggestions, the synopsis and where to read more; exit 2. */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        CommandSpec spec = cl.getCommandSpec();
        PrintWriter err = cl.getErr();
        String unknown = unknownCommand(ex);
        if (unknown != null) {
            print(err, spec, "unknown command '" + unknown + "'", null);
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("  see '" + spec.qualifiedName() + " --help' for the commands");
        } else {
            print(err, spec, ex.getMessage(), null);
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.print("  usage: " + cl.getHelp().synopsis(0));
            err.println("  see '" + spec.qualifiedName() + " --help'");
        }
        err.flush();
        return ExitCodes.INVALID_INPUT;
    }

    /**
     * The command a user named that does not exist ("image frob" under `mosvm`), or null: a
     * word that matched nothing where only a command may stand (the command has subcommands and
     * takes no arguments of its own).
     */
    static String unknownCommand(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) return null;
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        String word = u.getUnmatched().get(0);
        if (word.startsWith("-") || spec.subcommands().isEmpty() || !spec.positionalParameters().isEmpty()) return null;
        String parents = spec.qualifiedName(" ").substring(spec.root().name().length()).strip();
        return parents.isEmpty() ? word : parents + " " + word;
    }
}

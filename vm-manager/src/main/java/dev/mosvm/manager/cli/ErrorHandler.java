package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentException;
import dev.mosvm.builder.BuildException;
import dev.mosvm.manager.ExitCodes;
import dev.mosvm.manager.MosvmException;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Turns failures into one "mosvm: error: ..." line (plus an indented hint) and an exit
 * status from {@link ExitCodes}. Stack traces only with MOSVM_DEBUG=1.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        int code;
        String message;
        String hint = null;
        if (ex instanceof MosvmException m) {
            code = m.exitCode();
            message = m.getMessage();
            hint = m.hint();
        } else if (ex instanceof BuildException b) {
            code = ExitCodes.FAILED;
            message = b.getMessage();
            hint = b.hint();
        } else if (ex instanceof java.nio.file.AccessDeniedException a) {
            code = ExitCodes.ENVIRONMENT;
            message = "no permission to use " + a.getFile();
            hint = "run as the user that owns it, or set MOSVM_HOME / MOSVM_CACHE to a directory of yours";
        } else if (ex instanceof java.nio.file.FileSystemException f) {
            code = ExitCodes.FAILED;
            message = f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        } else if (ex instanceof AgentException a) {
            // the appliance's agent did not answer or refused: its state, not a bug here
            code = ExitCodes.FAILED;
            message = a.getMessage();
            hint = a.status() < 0 ? "is the appliance up and its agent started? 'mosvm status' shows each appliance's state" : null;
        } else if (ex instanceof InterruptedException) {
            code = ExitCodes.FAILED;
            message = "interrupted";
        } else {
            code = ExitCodes.FAILED;
            message = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            hint = "this is a bug in mosvm; rerun with MOSVM_DEBUG=1 for the stack trace";
        }
        err.println("mosvm: error: " + message);
        if (hint != null && !hint.isBlank()) {
            hint.lines().forEach(l -> err.println("  " + l));
        }
        if (System.getenv("MOSVM_DEBUG") != null) ex.printStackTrace(err);
        err.flush();
        return code;
    }

    /** Bad options: the message, the synopsis and where to read more; exit 2. */
    static final class ShortParameterErrors implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cl = ex.getCommandLine();
            PrintWriter err = cl.getErr();
            err.println("mosvm: error: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.print("  usage: " + cl.getHelp().synopsis(0));
            err.println("  see '" + cl.getCommandSpec().qualifiedName() + " --help'");
            err.flush();
            return ExitCodes.INVALID_INPUT;
        }
    }
}

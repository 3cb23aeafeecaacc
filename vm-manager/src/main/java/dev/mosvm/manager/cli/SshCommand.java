package dev.mosvm.manager.cli;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.ShellAccess;
import dev.mosvm.manager.hypervisor.Hypervisor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "ssh", mixinStandardHelpOptions = true,
        description = {"Open a shell in an appliance as root, or run COMMAND there; exits with its status.",
                "Example: mosvm ssh -i a -t -- mosvm mon"})
final class SshCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Option(names = {"-t", "--tty"}, description = "Give COMMAND a terminal (a shell always gets one).")
    boolean tty;

    @Option(names = "--print", description = {"Print the ssh command line (shell-quoted, one line) instead of running it: for scp, rsync, "
            + "an editor's remote mode, or a script's many commands, which then share one connection without starting mosvm each time.",
            "Example: eval \"$(mosvm ssh -i a --print) uptime\""})
    boolean print;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "Command and arguments to run instead of a shell.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> args;
        try (Hypervisor hv = root.connect()) {
            args = root.shells(hv).sshCommand(instance.name, tty, command);
        }
        if (print) {
            System.out.println(String.join(" ", args.stream().map(ShellAccess::shellQuote).toList()));
            return 0;
        }
        return exec(args);
    }

    /** Runs ssh on this terminal and returns its status (the remote command's). */
    static int exec(List<String> args) throws InterruptedException {
        try {
            // the terminal goes straight to ssh: raw mode, window size and Ctrl-C work as in ssh itself
            return new ProcessBuilder(args).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new MosvmException(ExitCodes.ENVIRONMENT, "cannot run ssh: " + e.getMessage(), "install the OpenSSH client (apt-get install openssh-client)");
        }
    }
}

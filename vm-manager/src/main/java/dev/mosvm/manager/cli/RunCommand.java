package dev.mosvm.manager.cli;

import dev.mosvm.manager.hypervisor.Hypervisor;
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

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run PROGRAM as a pool job through the local appliance (mosrun inside it): its output comes here "
                + "as it is produced, its exit status is ours, and Ctrl-C reaches it.",
                "Example: mosvm run -- sh -c 'echo hello from $(hostname)'"})
final class RunCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Option(names = "--node", paramLabel = "NODE", description = "Run on this pool node (the local appliance stays the job's home).")
    String node;

    @Option(names = "-L", description = "Keep the job on the local appliance; never migrate it.")
    boolean local;

    @Parameters(arity = "1..*", paramLabel = "PROGRAM", description = "Program and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> remote = new ArrayList<>(List.of("mosrun"));
        if (node != null) remote.addAll(List.of("-r", node));
        if (local) remote.add("-L");
        remote.addAll(command);
        // over ssh: a terminal here gets one there, so Ctrl-C travels as a signal
        List<String> args;
        try (Hypervisor hv = root.connect()) {
            args = root.shells(hv).sshCommand(instance.name, System.console() != null, remote);
        }
        return SshCommand.exec(args);
    }
}

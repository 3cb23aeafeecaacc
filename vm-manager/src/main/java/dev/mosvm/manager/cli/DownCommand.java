package dev.mosvm.manager.cli;

import dev.mosvm.manager.hypervisor.Hypervisor;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "down", aliases = "stop", mixinStandardHelpOptions = true,
        description = "Stop an instance cleanly through its agent; power it off if it does not stop in time.")
final class DownCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Instance name.")
    String name;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Time allowed for a clean shutdown (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            root.folders(hv).stop(name); // its sessions end before the guest does: sshfs unmounts instead of losing its stream
            spec.commandLine().getOut().println(root.lifecycle(hv, spec).down(name, Duration.ofSeconds(timeout)));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}

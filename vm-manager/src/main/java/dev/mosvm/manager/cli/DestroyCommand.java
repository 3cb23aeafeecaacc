package dev.mosvm.manager.cli;

import dev.mosvm.manager.hypervisor.Hypervisor;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "destroy", aliases = "rm", mixinStandardHelpOptions = true,
        description = "Power off and delete an instance: its VM (libvirt domain or QEMU definition), disk overlay and files (the cached image stays).")
final class DestroyCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Instance name.")
    String name;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            root.folders(hv).stop(name);
            spec.commandLine().getOut().println(root.lifecycle(hv, spec).destroy(name));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}

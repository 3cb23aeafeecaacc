package dev.mosvm.manager.cli;

import dev.mosvm.manager.appliance.InstanceView;
import dev.mosvm.manager.hypervisor.Hypervisor;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
        description = "List instances (BROKEN ones with the reason).")
final class ListCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin JsonOutput output;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            List<InstanceView> views = root.inspection(hv).list(false);
            output.print(spec, views, out -> {
                out.printf("%-16s %-8s %-16s %4s %7s %-5s %s%n", "NAME", "STATE", "ADDRESS", "CPUS", "MEMORY", "ACCEL", "IMAGE");
                for (InstanceView v : views) {
                    out.printf(Locale.ROOT, "%-16s %-8s %-16s %4s %7s %-5s %s%n", v.name(), v.state(), dash(v.address()),
                            v.cpus() == null ? "-" : v.cpus(), v.memoryMiB() == null ? "-" : v.memoryMiB() + "M",
                            v.accel() == null ? "-" : v.accel().toUpperCase(Locale.ROOT), dash(v.image()));
                    if (v.errors() != null) v.errors().forEach(e -> out.println("    problem: " + e));
                }
            });
        }
        return 0;
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}

package dev.mosvm.manager.cli;

import dev.mosvm.manager.instance.InstanceNames;
import picocli.CommandLine.Option;

/** `-i/--instance NAME`: which local appliance a pool command talks to. */
final class InstanceOption {
    @Option(names = {"-i", "--instance"}, paramLabel = "NAME", defaultValue = InstanceNames.DEFAULT,
            description = "The local appliance (default: ${DEFAULT-VALUE}).")
    String name;
}

package dev.mosvm.manager.cli;

import dev.mosvm.api.CliErrors;
import dev.mosvm.manager.appliance.AgentAccess;
import dev.mosvm.manager.appliance.ApplianceInspection;
import dev.mosvm.manager.appliance.ApplianceLifecycle;
import dev.mosvm.manager.appliance.ShellAccess;
import dev.mosvm.manager.hostfolders.HostFolders;
import dev.mosvm.manager.appliance.Reporter;
import dev.mosvm.manager.hypervisor.DriverRouter;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.qemu.HostOs;
import dev.mosvm.manager.hypervisor.qemu.QemuHypervisor;
import dev.mosvm.manager.hypervisor.libvirt.LibvirtConnector;
import dev.mosvm.manager.instance.InstanceStore;
import dev.mosvm.manager.instance.MosvmHome;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The `mosvm` command: the root of the tree. Subcommands parse, call services and print. */
@Command(name = "mosvm", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the mosvm appliance VM: a MOSIX-style compute pool node on this workstation.",
        subcommands = {UpCommand.class, StatusCommand.class, ListCommand.class, DownCommand.class, DestroyCommand.class, NodesCommand.class,
                PoolCommands.Pool.class, PoolCommands.Join.class, PoolCommands.Leave.class, MonCommand.class, SshCommand.class, RunCommand.class, JobCommands.Ps.class, JobCommands.Migrate.class, JobCommands.Checkpoint.class, BalanceCommand.class, FoldersKeeperCommand.class,
                ImageCommand.class, AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class},
        footer = {"", "Instances live in $MOSVM_HOME (default ~/.mosvm); images are cached in $MOSVM_CACHE (default ~/.cache/mosvm)."})
public final class MosvmCommand implements Runnable {
    @Spec CommandSpec spec;

    final MosvmHome home;
    private final Supplier<Hypervisor> hypervisor;

    public MosvmCommand(MosvmHome home, Supplier<Hypervisor> hypervisor) {
        this.home = home;
        this.hypervisor = hypervisor;
    }

    public static void main(String[] args) {
        MosvmHome home = MosvmHome.fromEnvironment();
        System.exit(commandLine(home, () -> new DriverRouter(new InstanceStore(home), HostOs.current(),
                () -> LibvirtConnector.connect(LibvirtConnector.defaultUri()), () -> new QemuHypervisor(home, HostOs.current()))).execute(args));
    }

    /** The configured command line; tests call this with their own home and hypervisor. */
    public static CommandLine commandLine(MosvmHome home, Supplier<Hypervisor> hypervisor) {
        CommandLine cl = CliErrors.install(new CommandLine(new MosvmCommand(home, hypervisor)), ErrorHandler::explain);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    Hypervisor connect() {
        return hypervisor.get();
    }

    InstanceStore store() {
        return new InstanceStore(home);
    }

    // The services below work on a connection the calling command opened and closes.

    /** up, down, destroy; progress and warnings go to the command's stderr. */
    ApplianceLifecycle lifecycle(Hypervisor hv, CommandSpec cmd) {
        return new ApplianceLifecycle(store(), hv, Reporter.lines(cmd.commandLine().getErr()));
    }

    ApplianceInspection inspection(Hypervisor hv) {
        return new ApplianceInspection(store(), hv);
    }

    AgentAccess agents(Hypervisor hv) {
        return new AgentAccess(store(), hv);
    }

    ShellAccess shells(Hypervisor hv) {
        return new ShellAccess(store(), hv);
    }

    HostFolders folders(Hypervisor hv) {
        return new HostFolders(store(), shells(hv));
    }
}

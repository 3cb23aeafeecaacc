package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.ApplianceInspection;
import dev.mosvm.manager.appliance.InstanceView;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.PeerForwards;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show an instance's state and the facts its agent reports (all instances without NAME).")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Instance name.")
    String name;

    @Mixin JsonOutput output;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            ApplianceInspection svc = root.inspection(hv);
            List<InstanceView> views = name != null ? List.of(svc.status(name)) : svc.list(true);
            if (name == null && views.isEmpty()) {
                throw MosvmException.state("no instances", "create one with `mosvm up`");
            }
            output.print(spec, name != null ? views.get(0) : views, out -> views.forEach(v -> print(out, v)));
            return views.stream().anyMatch(v -> InstanceView.BROKEN.equals(v.state())) ? 1 : 0;
        }
    }

    static void print(PrintWriter out, InstanceView v) {
        out.printf("%s: %s%s%n", v.name(), v.state(), v.address() == null ? "" : " at " + v.address());
        if (v.cpus() != null) {
            out.printf(Locale.ROOT, "  config    %d CPU, %d MiB, %s, image %s%n", v.cpus(), v.memoryMiB(),
                    v.accel().toUpperCase(Locale.ROOT), v.image());
        }
        if (v.hostRssKb() != null) out.printf(Locale.ROOT, "  host RSS  %.0f MiB%n", v.hostRssKb() / 1024.0);
        printPeerAccess(out, v.forwards(), v.endpoint());
        if (v.facts() != null) printFacts(out, v.facts());
        if (v.errors() != null) v.errors().forEach(e -> out.println("  problem   " + e));
    }

    /**
     * Where other workstations reach the appliance: its join address and WireGuard endpoint
     * forwarded on the host's LAN address (the qemu driver; a port other than the customary one
     * was taken), and an endpoint given with --endpoint.
     */
    static void printPeerAccess(PrintWriter out, PeerForwards f, String endpoint) {
        if (f != null) {
            out.printf(Locale.ROOT, "  join      %s (TCP, forwarded to the agent; other workstations join through it%s)%n", f.joinAddress(),
                    f.joinPort() == AgentProtocol.PORT ? "" : "; " + AgentProtocol.PORT + " was taken");
        }
        if (GuestConfig.NO_ENDPOINT.equals(endpoint)) {
            out.println("  overlay   none (--endpoint none: it calls the other members; those unreachable too are relayed through a reachable one)");
        } else if (endpoint != null) {
            out.printf(Locale.ROOT, "  overlay   %s (WireGuard, given with --endpoint%s)%n", endpoint,
                    f == null ? "" : "; forwarded from UDP " + f.overlayEndpoint());
        } else if (f != null) {
            out.printf(Locale.ROOT, "  overlay   %s (WireGuard, UDP forwarded to the guest's %d%s)%n", f.overlayEndpoint(), f.overlayPort(),
                    f.overlayPort() == GuestConfig.OVERLAY_PORT ? "" : "; " + GuestConfig.OVERLAY_PORT + " was taken");
        }
    }

    static void printFacts(PrintWriter out, AgentFacts f) {
        out.printf(Locale.ROOT, "  node      %s (%s)%n", f.node(), f.address());
        out.printf(Locale.ROOT, "  cpus      %d, speed %.3f (1.0 = reference core)%n", f.cpus(), f.speed());
        out.printf(Locale.ROOT, "  memory    %d MiB available of %d MiB%n", f.memAvailableKb() / 1024, f.memTotalKb() / 1024);
        double[] l = f.loadAverage();
        out.printf(Locale.ROOT, "  load      %.2f %.2f %.2f%n", l[0], l[1], l[2]);
        out.printf(Locale.ROOT, "  versions  agent %s, image %s, kernel %s%n", f.agentVersion(), f.imageVersion(), f.kernel());
        out.printf(Locale.ROOT, "  agent     %.0f MiB resident, up %.0f s%n", f.agentRssKb() / 1024.0, f.uptimeSeconds());
    }
}

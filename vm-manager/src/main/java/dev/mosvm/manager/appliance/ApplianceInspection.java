package dev.mosvm.manager.appliance;

import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.VmState;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceLayout;
import dev.mosvm.manager.instance.InstanceNames;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What instances there are and what state each is in (`list`, `status`): the instance
 * directories and libvirt's domains side by side, and BROKEN with the reasons where they
 * disagree or a file is missing.
 */
public final class ApplianceInspection {
    private final InstanceStore store;
    private final Hypervisor hv;

    public ApplianceInspection(InstanceStore store, Hypervisor hv) {
        this.store = store;
        this.hv = hv;
    }

    /** Every instance: those with a directory, and domains of ours whose directory is gone. */
    public List<InstanceView> list(boolean withFacts) throws IOException {
        Set<String> names = new LinkedHashSet<>(store.names());
        String prefix = InstanceConfig.domainPrefix();
        for (String vm : hv.managedVms()) {
            if (vm.startsWith(prefix)) names.add(vm.substring(prefix.length()));
        }
        List<InstanceView> out = new ArrayList<>();
        for (String n : names) out.add(inspect(n, withFacts));
        return out;
    }

    public InstanceView status(String name) throws IOException {
        InstanceNames.validate(name);
        if (!store.exists(name) && hv.state(InstanceConfig.domainName(name)) == VmState.ABSENT) {
            throw MosvmException.state("no instance named '" + name + "'", "see `mosvm list`");
        }
        return inspect(name, true);
    }

    InstanceView inspect(String name, boolean withFacts) throws IOException {
        String vm = InstanceConfig.domainName(name);
        List<String> errors = new ArrayList<>();
        Optional<InstanceConfig> cfg = Optional.empty();
        if (!store.exists(name)) {
            errors.add("libvirt domain " + vm + " exists but " + store.layout(name).dir() + " does not");
        } else {
            try {
                cfg = store.load(name);
                if (cfg.isEmpty()) errors.add("missing " + store.layout(name).config());
            } catch (IOException e) {
                errors.add("unreadable " + InstanceLayout.CONFIG + ": " + e.getMessage());
            }
        }
        VmState state = hv.state(vm);
        if (state == VmState.ABSENT && cfg.isPresent()) errors.add("its VM " + vm + " is missing from its driver (libvirt's domains, or the qemu driver's qemu.json)");
        if (cfg.isPresent() && !Files.isDirectory(Path.of(cfg.get().imageDir()))) {
            errors.add("base image " + cfg.get().imageDir() + " is missing");
        }
        String address = state == VmState.RUNNING ? hv.address(vm).orElse(null) : null;
        AgentFacts facts = null;
        if (withFacts && address != null && errors.isEmpty()) {
            try {
                facts = AgentAccess.clientAt(store.layout(name), address, hv.hostPort(vm, AgentProtocol.PORT), Duration.ofSeconds(5), true).facts();
            } catch (AgentException e) {
                errors.add("agent: " + e.getMessage());
            }
        }
        String shown = !errors.isEmpty() && !(errors.size() == 1 && errors.get(0).startsWith("agent:")) ? InstanceView.BROKEN
                : state == VmState.RUNNING ? InstanceView.RUNNING
                : state.isOff() ? InstanceView.STOPPED : state.name();
        return new InstanceView(name, shown, address,
                cfg.map(InstanceConfig::cpus).orElse(null), cfg.map(InstanceConfig::memoryMiB).orElse(null),
                cfg.map(InstanceConfig::accel).orElse(null), cfg.map(InstanceConfig::imageKey).orElse(null), vm,
                state == VmState.RUNNING && hv.hostRssKb(vm).isPresent() ? hv.hostRssKb(vm).getAsLong() : null,
                facts, errors.isEmpty() ? null : errors, state == VmState.RUNNING ? hv.peerForwards(vm).orElse(null) : null,
                cfg.map(InstanceConfig::endpoint).orElse(null));
    }
}

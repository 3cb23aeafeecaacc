package dev.mosvm.manager.hypervisor;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.qemu.HostOs;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The hypervisor the commands see: each call goes to the driver its instance was made with
 * (instance.yaml's {@code driver}; libvirt for instances made before there was a choice), and
 * a driver is opened only when an instance needs it, so a Mac never loads libvirt.
 */
public final class DriverRouter implements Hypervisor {
    private final InstanceStore store;
    private final HostOs os;
    private final Supplier<Hypervisor> libvirtFactory;
    private final Supplier<Hypervisor> qemuFactory;
    private Hypervisor libvirt;
    private Hypervisor qemu;

    public DriverRouter(InstanceStore store, HostOs os, Supplier<Hypervisor> libvirtFactory, Supplier<Hypervisor> qemuFactory) {
        this.store = store;
        this.os = os;
        this.libvirtFactory = libvirtFactory;
        this.qemuFactory = qemuFactory;
    }

    /**
     * The driver for a new instance: the one asked for; else libvirt on Linux where its system
     * daemon answers, QEMU directly everywhere else (with a line saying why on Linux).
     */
    public Driver chooseForNewInstance(Driver requested, Consumer<String> warn) {
        if (requested == Driver.LIBVIRT) {
            if (os != HostOs.LINUX) throw MosvmException.invalid("--driver libvirt: libvirt hosts VMs on Linux only; use --driver qemu");
            libvirt();
            return Driver.LIBVIRT;
        }
        if (requested == Driver.QEMU || os != HostOs.LINUX) return Driver.QEMU;
        try {
            Hypervisor l = libvirt();
            if (l.describe().startsWith("qemu:///session")) {
                // a user's session daemon has no network the host reaches guests on
                warn.accept("note: libvirt here is " + l.describe() + ", whose guests the host cannot reach; using the qemu driver "
                        + "(QEMU run directly, user-mode networking)");
                return Driver.QEMU;
            }
            return Driver.LIBVIRT;
        } catch (MosvmException e) {
            if (e.exitCode() != ExitCodes.ENVIRONMENT) throw e;
            warn.accept("note: " + e.getMessage() + "; using the qemu driver (QEMU run directly, user-mode networking)");
            return Driver.QEMU;
        }
    }

    /**
     * The driver an existing instance uses; for a name with no instance (asked whether a VM of
     * that name is left over), libvirt where it answers, else QEMU.
     */
    public Driver driverOf(String vm) {
        String prefix = InstanceConfig.domainPrefix();
        String name = vm.startsWith(prefix) ? vm.substring(prefix.length()) : vm;
        Optional<InstanceConfig> cfg;
        try {
            cfg = store.exists(name) ? store.load(name) : Optional.empty();
        } catch (IOException e) {
            throw MosvmException.state("cannot read instance '" + name + "': " + e.getMessage(), null);
        }
        if (cfg.isPresent()) return Driver.recorded(cfg.get().driver());
        if (os != HostOs.LINUX) return Driver.QEMU;
        try {
            libvirt();
            return Driver.LIBVIRT;
        } catch (MosvmException e) {
            if (e.exitCode() != ExitCodes.ENVIRONMENT) throw e;
            return Driver.QEMU;
        }
    }

    private Hypervisor of(String vm) {
        return driverOf(vm) == Driver.QEMU ? qemu() : libvirt();
    }

    private Hypervisor libvirt() {
        if (libvirt == null) libvirt = libvirtFactory.get();
        return libvirt;
    }

    private Hypervisor qemu() {
        if (qemu == null) qemu = qemuFactory.get();
        return qemu;
    }

    @Override
    public String describe() {
        return libvirt != null ? libvirt.describe() : qemu != null ? qemu.describe() : "no driver opened";
    }

    /** What a new instance's definition is recorded under (its driver's description). */
    public String describe(Driver d) {
        return d == Driver.QEMU ? qemu().describe() : libvirt().describe();
    }

    @Override
    public boolean runsAsRoot() {
        return libvirt != null ? libvirt.runsAsRoot() : "root".equals(System.getProperty("user.name"));
    }

    @Override public String define(VmSpec spec) { return of(spec.vm()).define(spec); }
    @Override public void start(String vm) { of(vm).start(vm); }
    @Override public VmState state(String vm) { return of(vm).state(vm); }
    @Override public void requestShutdown(String vm) { of(vm).requestShutdown(vm); }
    @Override public void powerOff(String vm) { of(vm).powerOff(vm); }
    @Override public void undefine(String vm) { of(vm).undefine(vm); }
    @Override public Optional<String> address(String vm) { return of(vm).address(vm); }
    @Override public int hostPort(String vm, int guestPort) { return of(vm).hostPort(vm, guestPort); }
    @Override public boolean reachableByPeers(String vm) { return of(vm).reachableByPeers(vm); }
    @Override public Optional<PeerForwards> peerForwards(String vm) { return of(vm).peerForwards(vm); }
    @Override public OptionalLong hostRssKb(String vm) { return of(vm).hostRssKb(vm); }

    /** Both drivers' VMs; libvirt's only where it answers (a Mac, a host without libvirtd, lists QEMU's alone). */
    @Override
    public List<String> managedVms() {
        List<String> out = new ArrayList<>(qemu().managedVms());
        if (os == HostOs.LINUX) {
            try {
                out.addAll(libvirt().managedVms());
            } catch (MosvmException e) {
                if (e.exitCode() != ExitCodes.ENVIRONMENT) throw e;
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (libvirt != null) libvirt.close();
        if (qemu != null) qemu.close();
    }
}

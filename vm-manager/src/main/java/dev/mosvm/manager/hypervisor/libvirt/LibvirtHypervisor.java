package dev.mosvm.manager.hypervisor.libvirt;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.Accelerator;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.hypervisor.VmSpec;
import dev.mosvm.manager.hypervisor.VmState;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainInterface;
import org.libvirt.LibvirtException;
import org.libvirt.MemoryStatistic;

/** The libvirt driver (libvirt-java over JNA). One connection, used by one command. */
public final class LibvirtHypervisor implements Hypervisor {
    /** virDomainMemoryStatTags: VIR_DOMAIN_MEMORY_STAT_RSS. */
    private static final int MEMORY_STAT_RSS = 7;
    private static final int VIR_ERR_NO_DOMAIN = 42;
    private static final int METADATA_ELEMENT = 2;

    private final Connect conn;
    private final String uri;

    LibvirtHypervisor(Connect conn, String uri) {
        this.conn = conn;
        this.uri = uri;
    }

    @Override public String describe() { return uri; }

    @Override
    public boolean runsAsRoot() {
        return uri.startsWith("qemu:///system") && "root".equals(System.getProperty("user.name"));
    }

    boolean isTestDriver() {
        return uri.startsWith("test:");
    }

    @Override
    public String define(VmSpec spec) {
        String type = isTestDriver() ? "test" : spec.accel() == Accelerator.KVM ? "kvm" : "qemu";
        String xml = DomainXml.render(spec, type, runsAsRoot());
        call("define " + spec.vm(), () -> conn.domainDefineXML(xml));
        return xml;
    }

    @Override
    public void start(String vm) {
        call("start " + vm, () -> domain(vm).create());
    }

    @Override
    public VmState state(String vm) {
        Domain d = lookup(vm);
        if (d == null) return VmState.ABSENT;
        DomainInfo.DomainState s = call("inspect " + vm, () -> d.getInfo().state);
        return switch (s) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> VmState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> VmState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN -> VmState.SHUTTING_DOWN;
            case VIR_DOMAIN_SHUTOFF -> VmState.SHUTOFF;
            case VIR_DOMAIN_CRASHED -> VmState.CRASHED;
            default -> VmState.OTHER;
        };
    }

    @Override
    public void requestShutdown(String vm) {
        call("shut down " + vm, () -> { domain(vm).shutdown(); return null; });
    }

    @Override
    public void powerOff(String vm) {
        Domain d = lookup(vm);
        if (d == null) return;
        try {
            if (d.isActive() == 1) d.destroy();
        } catch (LibvirtException e) {
            if (state(vm).isOff()) return; // it stopped by itself meanwhile
            throw failure("power off " + vm, e);
        }
    }

    @Override
    public void undefine(String vm) {
        Domain d = lookup(vm);
        if (d != null) call("undefine " + vm, () -> { d.undefine(); return null; });
    }

    @Override
    public Optional<String> address(String vm) {
        Domain d = lookup(vm);
        if (d == null || isTestDriver()) return Optional.empty();
        try {
            for (DomainInterface nic : d.interfaceAddresses(Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0)) {
                for (DomainInterface.InterfaceAddress a : nic.addrs) {
                    if (a.address instanceof Inet4Address) return Optional.of(a.address.getHostAddress());
                }
            }
        } catch (LibvirtException e) {
            return Optional.empty(); // no lease yet
        }
        return Optional.empty();
    }

    @Override
    public OptionalLong hostRssKb(String vm) {
        Domain d = lookup(vm);
        if (d == null) return OptionalLong.empty();
        try {
            for (MemoryStatistic s : d.memoryStats(16)) {
                if (s.getTag() == MEMORY_STAT_RSS) return OptionalLong.of(s.getValue());
            }
        } catch (LibvirtException e) {
            // not running, or the driver cannot tell
        }
        return OptionalLong.empty();
    }

    @Override
    public List<String> managedVms() {
        List<String> out = new ArrayList<>();
        for (Domain d : call("list domains", () -> conn.listAllDomains(0))) {
            try {
                d.getMetadata(METADATA_ELEMENT, DomainXml.METADATA_NS, 0);
                out.add(d.getName());
            } catch (LibvirtException e) {
                // no mosvm metadata: not ours
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (LibvirtException ignored) {
            // closing a dead connection is not worth an error
        }
    }

    private Domain lookup(String vm) {
        try {
            return conn.domainLookupByName(vm);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() != null
                    && e.getError().getCode().ordinal() == VIR_ERR_NO_DOMAIN) return null;
            if (String.valueOf(e.getMessage()).contains("not found") || String.valueOf(e.getMessage()).contains("no domain")) return null;
            throw failure("look up " + vm, e);
        }
    }

    private Domain domain(String vm) {
        Domain d = lookup(vm);
        if (d == null) throw MosvmException.state("no libvirt domain " + vm + " at " + uri, null);
        return d;
    }

    interface LibvirtCall<T> {
        T run() throws LibvirtException;
    }

    private <T> T call(String what, LibvirtCall<T> c) {
        try {
            return c.run();
        } catch (LibvirtException e) {
            throw failure(what, e);
        }
    }

    private MosvmException failure(String what, LibvirtException e) {
        return new MosvmException(ExitCodes.FAILED, "libvirt could not " + what + ": "
                + LibvirtConnector.firstLine(String.valueOf(e.getMessage())), null, e);
    }
}

package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.builder.SafeDelete;
import dev.mosvm.manager.hypervisor.qemu.QemuCommandLine;
import dev.mosvm.manager.hypervisor.qemu.QmpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The qemu driver end to end on Linux, as a host without libvirt has it (libvirt's library
 * hidden from mosvm): `up` chooses QEMU run directly and says so, the appliance boots with
 * user-mode networking and its agent and SSH forwarded to loopback, a job runs in it, QMP sets
 * its memory balloon, `down` and `up` again keep its driver, a QEMU that cannot start leaves
 * nothing half-made, it refuses to found a pool it could not serve, and `destroy` removes it all.
 * No libvirt domain is ever made.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag(E2eGroups.ONE_VM)
class QemuDriverIT {
    Path home;
    MosvmCli cli;

    @BeforeAll
    void setUp() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-qemu");
        cli = new MosvmCli(home).withoutLibvirt();
    }

    @AfterAll
    void tearDown() throws Exception {
        cli.run("destroy", "qa");
        SafeDelete.deleteTree(home);
    }

    Optional<ProcessHandle> qemuOf(String instance) throws Exception {
        Path pid = home.resolve(instance).resolve("qemu.process");
        if (!Files.isRegularFile(pid)) return Optional.empty();
        return ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).filter(ProcessHandle::isAlive);
    }

    @Test
    @Order(1)
    void withoutLibvirtUpRunsQemuDirectlyWithForwardedPorts() throws Exception {
        MosvmCli.Result r = cli.run("up", "qa", "--memory", "512M").ok();
        assertTrue(r.err().contains("note: libvirt is not installed") && r.err().contains("using the qemu driver"), r.err());
        assertTrue(r.out().startsWith("qa is ready at 127.0.0.1"), r.out());
        System.out.println("qemu driver: " + r.out().lines().findFirst().orElse(""));
        assertTrue(Files.readString(home.resolve("qa/instance.yaml")).contains("driver: \"qemu\"")
                || Files.readString(home.resolve("qa/instance.yaml")).contains("driver: qemu"), "the driver is kept with the instance");
        ProcessHandle q = qemuOf("qa").orElseThrow(() -> new AssertionError("no QEMU running for qa"));
        String cmdline = Files.readString(Path.of("/proc", Long.toString(q.pid()), "cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("-netdev user,id=n0,hostfwd=tcp:127.0.0.1:"), cmdline);
        if (r.out().contains("\n  join      ")) { // the host has a LAN address: joins and WireGuard are forwarded on it
            assertTrue(cmdline.matches("(?s).*,hostfwd=tcp:[0-9.]+:[0-9]+-10\\.0\\.2\\.15:7443,hostfwd=udp:[0-9.]+:([0-9]+)-10\\.0\\.2\\.15:\\1[ ,].*"),
                    cmdline);
        }
        assertTrue(cmdline.contains("-qmp unix:" + home.resolve("qa/qmp.sock")), cmdline);
        assertFalse(MosvmCli.virsh("list", "--all", "--name").contains(MosvmCli.domain("qa")), "no libvirt domain");
    }

    @Test
    @Order(2)
    void aJobRunsInItAndItsStateIsQemus() throws Exception {
        assertEquals("qa", cli.run("ssh", "-i", "qa", "--", "uname", "-n").ok().out().strip());
        MosvmCli.Result job = cli.run("run", "-i", "qa", "--", "sh", "-c", "echo hello from $(hostname); exit 3");
        assertEquals(3, job.exit(), job.err());
        assertEquals("hello from qa\n", job.out());
        var st = cli.run("status", "qa", "--json").ok().json();
        assertEquals("RUNNING", st.get("state").asText(), st.toString());
        assertEquals("127.0.0.1", st.get("address").asText(), st.toString());
        assertTrue(cli.run("list").ok().out().lines().anyMatch(l -> l.startsWith("qa ") && l.contains("RUNNING")));
    }

    @Test
    @Order(3)
    void qmpSetsTheMemoryBalloonAndTheGuestGivesThePagesBack() throws Exception {
        try (QmpClient q = QmpClient.open(QemuCommandLine.Control.unix(home.resolve("qa/qmp.sock")), Duration.ofSeconds(10))) {
            assertEquals(512, q.execute("query-balloon", null).get("actual").asLong() >> 20);
            q.execute("balloon", Map.of("value", 384L << 20));
            long actual = Await.until("the guest's balloon at 384 MiB", Duration.ofSeconds(30), Duration.ofSeconds(1),
                    () -> q.execute("query-balloon", null).get("actual").asLong() >> 20, mib -> mib == 384);
            assertEquals(384, actual);
            q.execute("balloon", Map.of("value", 512L << 20));
        }
    }

    @Test
    @Order(4)
    void downStopsQemuAndUpBringsItBackOnTheSameDriver() throws Exception {
        ProcessHandle before = qemuOf("qa").orElseThrow();
        cli.run("down", "qa").ok();
        assertFalse(before.isAlive(), "QEMU exited");
        assertEquals("STOPPED", cli.run("status", "qa", "--json").ok().json().get("state").asText());
        MosvmCli.Result r = cli.run("up", "qa").ok();
        assertFalse(r.err().contains("note:"), "no driver is chosen again: " + r.err());
        assertEquals("qa", cli.run("ssh", "-i", "qa", "--", "uname", "-n").ok().out().strip());
    }

    @Test
    @Order(5)
    void aBadDriverOrAQemuThatCannotStartLeavesNothingHalfMade() throws Exception {
        // behind QEMU's NAT: a pool over the WireGuard overlay only
        cli.run("pool", "init", "-i", "qa", "--overlay", "plain").fails(ExitCodes.INVALID_INPUT, "behind QEMU's user-mode NAT");
        cli.run("up", "qb", "--driver", "xen").fails(ExitCodes.INVALID_INPUT, "invalid --driver 'xen': use libvirt or qemu");
        assertFalse(Files.exists(home.resolve("qb")));
        cli.run("up", "qb", "--driver", "libvirt").fails(ExitCodes.ENVIRONMENT, "libvirt is not installed");
        assertFalse(Files.exists(home.resolve("qb")));
        cli.with("MOSVM_QEMU", "false").run("up", "qb", "--driver", "qemu").fails(ExitCodes.FAILED, "QEMU could not start");
        assertFalse(Files.exists(home.resolve("qb")), "the failed first up removed what it made");
    }

    @Test
    @Order(6)
    void destroyEndsQemuAndRemovesTheInstance() throws Exception {
        ProcessHandle q = qemuOf("qa").orElseThrow();
        cli.run("destroy", "qa").ok();
        assertFalse(q.isAlive());
        assertFalse(Files.exists(home.resolve("qa")));
        assertFalse(cli.run("list").ok().out().contains("qa "));
    }
}

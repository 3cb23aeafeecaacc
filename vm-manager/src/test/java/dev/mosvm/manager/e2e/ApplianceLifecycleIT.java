package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.GuestConfig;
import dev.mosvm.api.Json;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.api.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One real appliance VM through its whole life, driven by the CLI as a user types it:
 * up (building the image if the cache lacks it), facts, authentication, duplicate refusal,
 * software installed with apt-get and a host folder, down, restart (both still there), destroy,
 * and no leftovers. The steps share the VM and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag(E2eGroups.ONE_VM)
class ApplianceLifecycleIT {
    static final String NAME = "e2e-life";
    static final String VM = MosvmCli.domain(NAME);
    Path home;
    MosvmCli cli;

    @BeforeAll
    void setUp() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-home");
        cli = new MosvmCli(home);
        MosvmCli.virsh("destroy", VM);
        MosvmCli.virsh("undefine", VM);
    }

    @AfterAll
    void tearDown() throws Exception {
        cli.run("destroy", NAME); // whatever happened, power off and remove
        dev.mosvm.builder.SafeDelete.deleteTree(home);
        if (owner != null) owner.close();
        if (folder != null) dev.mosvm.builder.SafeDelete.deleteTree(folder);
    }

    @Test
    @Order(1)
    void upBringsTheApplianceToAnAnsweringAgent() throws Exception {
        MosvmCli.Result r = cli.run("up", NAME, "--memory", "512M").ok();
        assertTrue(r.out().startsWith(NAME + " is ready at 192.168.122."), r.out());
        assertTrue(r.err().contains("[3/3] guest agent answers (authenticated)"), "progress shown: " + r.err());
        assertTrue(r.out().contains("timings   image"), r.out());
        assertEquals("running", MosvmCli.virsh("domstate", VM));
    }

    @Test
    @Order(2)
    void statusShowsTheFactsTheAgentMeasured() throws Exception {
        JsonNode s = cli.run("status", NAME, "--json").ok().json();
        assertEquals("RUNNING", s.get("state").asText());
        JsonNode f = s.get("facts");
        assertEquals(NAME, f.get("node").asText());
        assertEquals(1, f.get("cpus").asInt());
        long totalMiB = f.get("memTotalKb").asLong() / 1024;
        assertTrue(totalMiB > 350 && totalMiB <= 512, "guest sees about the 512 MiB it was given: " + totalMiB);
        assertTrue(f.get("memAvailableKb").asLong() < f.get("memTotalKb").asLong());
        assertTrue(f.get("speed").asDouble() > 0);
        assertTrue(f.get("kernel").asText().startsWith("6.1."), "Debian 12's stock kernel: " + f.get("kernel"));
        assertEquals("0.1.0", f.get("agentVersion").asText());
        String imageKey = s.get("image").asText();
        assertTrue(f.get("imageVersion").asText().endsWith("+" + imageKey), "agent runs the image the instance was made from");
        // the address the agent reports is the one libvirt's DHCP server handed out
        String leases = MosvmCli.virsh("domifaddr", VM, "--source", "lease");
        assertTrue(leases.contains(f.get("address").asText() + "/24"), leases);
        assertEquals(f.get("address").asText(), s.get("address").asText());
        assertTrue(s.get("hostRssKb").asLong() > 0, "host-side memory reported");

        // `mosvm ssh --print`: the command line a script (or scp, rsync) takes, as a user's shell evaluates it
        String line = cli.run("ssh", "-i", NAME, "--print").ok().out().strip();
        assertTrue(line.startsWith("ssh ") && line.endsWith(" root@" + f.get("address").asText()), line);
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "eval \"$(" + cli.shellLine("ssh", "-i", NAME, "--print") + ") -- 'uname -n; exit 7'\"")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(cli.env);
        Path said = Files.createTempFile("mosvm-e2e-print", ".txt");
        pb.redirectOutput(said.toFile());
        Process p = pb.start();
        boolean ended = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly();
        String out = Files.readString(said).strip();
        Files.delete(said);
        assertTrue(ended, "ssh by the printed line ended: " + out);
        assertEquals(NAME, out, "the command ran in the appliance");
        assertEquals(7, p.exitValue(), "with its status");
    }

    @Test
    @Order(3)
    void theAgentRefusesRequestsWithoutTheSecret() throws Exception {
        Path dir = home.resolve(NAME);
        String address = cli.run("status", NAME, "--json").ok().json().get("address").asText();
        var cert = PinnedCertificateTrust.parsePem(Files.readString(dir.resolve("agent.pem")));
        GuestConfig gc = Json.MAPPER.readValue(dir.resolve("guest-config.json").toFile(), GuestConfig.class);
        AgentException none = assertThrows(AgentException.class,
                () -> new AgentClient(address, AgentProtocol.PORT, cert, null, Duration.ofSeconds(10)).facts());
        assertEquals(401, none.status());
        AgentException wrong = assertThrows(AgentException.class,
                () -> new AgentClient(address, AgentProtocol.PORT, cert, "not-the-secret", Duration.ofSeconds(10)).shutdown());
        assertEquals(401, wrong.status());
        assertEquals(NAME, new AgentClient(address, AgentProtocol.PORT, cert, gc.secret(), Duration.ofSeconds(10)).facts().node());
        assertEquals("running", MosvmCli.virsh("domstate", VM), "a refused shutdown did nothing");
        assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(dir.resolve("guest-config.json")), "the secret's file is private");
    }

    @Test
    @Order(4)
    void aDuplicateUpIsRefusedAndTheRunningVmIsUntouched() throws Exception {
        double before = cli.run("status", NAME, "--json").ok().json().get("facts").get("uptimeSeconds").asDouble();
        cli.run("up", NAME).fails(ExitCodes.BAD_STATE, "already exists and is running");
        double after = cli.run("status", NAME, "--json").ok().json().get("facts").get("uptimeSeconds").asDouble();
        assertTrue(after > before, "same guest, still up: " + before + " -> " + after);
        String list = cli.run("list").ok().out();
        assertTrue(list.lines().anyMatch(l -> l.startsWith(NAME) && l.contains("RUNNING")), list);
    }

    /** Checked again after the restart (upRestartsTheStoppedInstance): software and folders stay with the instance. */
    HostAccount owner;
    Path folder;

    @Test
    @Order(4)
    void softwareInstalledWithAptGetAndAHostFolderAreThere() throws Exception {
        cli.run("ssh", "-i", NAME, "--", "sh", "-c", "apt-get -q update >/dev/null && apt-get -q install -y --no-install-recommends bc >/dev/null").ok();
        assertEquals("42", cli.run("ssh", "-i", NAME, "--", "sh", "-c", "echo 6*7 | bc").ok().out().strip());
        owner = HostAccount.ensure("mosvm-e2e-owner", 1510);
        folder = Files.createTempDirectory(Path.of("/tmp"), "mosvm-e2e-life-");
        Files.writeString(folder.resolve("note.txt"), "kept\n");
        for (Path p : List.of(folder, folder.resolve("note.txt"))) Files.setAttribute(p, "unix:uid", owner.uid());
        owner.sudo(cli).run("up", NAME, "--mount", folder + ":rw").ok();
        assertEquals("kept", cli.run("ssh", "-i", NAME, "--", "cat", folder + "/note.txt").ok().out().strip());
    }

    @Test
    @Order(5)
    void downShutsTheGuestDownThroughItsAgent() throws Exception {
        MosvmCli.Result r = cli.run("down", NAME).ok();
        assertTrue(r.out().contains("shut down by its agent"), r.out());
        assertEquals("shut off", MosvmCli.virsh("domstate", VM));
        assertTrue(cli.run("list").ok().out().lines().anyMatch(l -> l.startsWith(NAME) && l.contains("STOPPED")));
        assertTrue(cli.run("down", NAME).ok().out().contains("already stopped"));
    }

    @Test
    @Order(6)
    void upRestartsTheStoppedInstance() throws Exception {
        MosvmCli.Result r = cli.run("up", NAME).ok();
        assertTrue(r.out().startsWith(NAME + " is ready at "), r.out());
        assertEquals("running", MosvmCli.virsh("domstate", VM));
        // what the user installed is on the instance's disk; its folder is mounted again by the start
        assertEquals("42", cli.run("ssh", "-i", NAME, "--", "sh", "-c", "echo 6*7 | bc").ok().out().strip(), "bc, installed before the restart");
        assertTrue(r.out().contains("folders   " + folder + ":rw"), r.out());
        assertEquals("kept", cli.run("ssh", "-i", NAME, "--", "cat", folder + "/note.txt").ok().out().strip());
        owner.sudo(cli).run("up", NAME, "--mount", "none").ok();
        owner.close();
    }

    @Test
    @Order(7)
    void destroyLeavesNothingBehind() throws Exception {
        cli.run("destroy", NAME).ok();
        assertFalse(MosvmCli.virsh("list", "--all", "--name").lines().anyMatch(VM::equals), "no libvirt domain");
        assertFalse(Files.exists(home.resolve(NAME)), "no instance directory");
        try (var s = Files.list(home)) {
            // only the user's SSH key, shared by all instances, stays (in _config, like Lima's)
            assertEquals(List.of("_config"), s.map(p -> p.getFileName().toString()).toList(), "MOSVM_HOME holds nothing of the instance");
        }
        cli.run("status", NAME).fails(ExitCodes.BAD_STATE, "no instance named");
    }
}

package dev.mosvm.builder.steps;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mosvm.builder.BuildException;
import dev.mosvm.builder.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Runs the agent's self-test inside the new root filesystem with the guest's own JRE and
 * JVM options, recording its class-data archive on the way (-XX:ArchiveClassesAtExit).
 * An agent that cannot start there fails the build instead of every `mosvm up`; the
 * archive cuts the agent's start-up at boot, where class loading is slow under emulation.
 */
public final class SelfTestAgent implements BuildStep {
    /** Where the recipe's files put the options (images/files/etc/mosvm/agent-jvm.options). */
    static final String JVM_OPTIONS = "/etc/mosvm/agent-jvm.options";
    static final String ARCHIVE = "/usr/lib/mosvm/mosvm-agent.jsa";
    /** The daemon's entry point, as the systemd unit starts it (same class path: the archive needs it). */
    static final String DAEMON = "dev.mosvm.agent.AgentDaemon";
    /** Made by each appliance's agent at its first start: never in the image. */
    static final String NODE_IDENTITY = "/etc/mosvm/node-identity";
    static final String WIREGUARD_KEY = "/etc/mosvm/wg.key";

    @Override public String description() { return "Self-testing the agent in the guest JRE (and recording its class archive)"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        Path root = ctx.rootfs();
        if (!Files.isRegularFile(root.resolve(JVM_OPTIONS.substring(1)))) {
            throw new BuildException("the recipe's files lack " + JVM_OPTIONS, "restore images/files" + JVM_OPTIONS);
        }
        String password = random(18);
        Path p12 = root.resolve("tmp/selftest.p12");
        Path cfg = root.resolve("tmp/selftest.json");
        Path proc = root.resolve("proc");
        try {
            // A throw-away identity, made by the build's own JDK (PKCS#12 is portable).
            ProcessRunner.check(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "agent", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=self-test", "-validity", "1", "-storetype", "PKCS12",
                    "-keystore", p12.toString(), "-storepass", password, "-keypass", password), "keytool", l -> {});
            new ObjectMapper().writeValue(cfg.toFile(), Map.of("node", "self-test", "secret", random(32),
                    "tlsKeystoreBase64", Base64.getEncoder().encodeToString(Files.readAllBytes(p12)),
                    "tlsKeystorePassword", password));
            ProcessRunner.check(List.of("mount", "-t", "proc", "proc", proc.toString()), "mounting /proc for the self-test", l -> {});
            try {
                ProcessRunner.check(List.of("chroot", root.toString(), "/usr/bin/java", "@" + JVM_OPTIONS,
                        "-XX:ArchiveClassesAtExit=" + ARCHIVE,
                        "-Xlog:cds=off", "-Xlog:cds+dynamic=off", // picocli is Java 5 bytecode: CDS skips it, loudly
                        // its pool state and identity key go to /tmp: a key left in the image would be every appliance's
                        "-Dmosvm.agent.config=/tmp/selftest.json", "-Dmosvm.agent.pool=/tmp/selftest-pool/pool.json",
                        "-Dmosvm.agent.port=0", "-Dmosvm.agent.speedBudgetMs=50",
                        "-Dmosvm.agent.selfTest=true", "-cp", "/usr/lib/mosvm/mosvm-agent.jar", DAEMON),
                        "the agent's self-test in the guest JRE", ctx.progress::detail);
            } finally {
                ProcessRunner.run(List.of("umount", proc.toString()), l -> {});
            }
            if (!Files.isRegularFile(root.resolve(ARCHIVE.substring(1)))) {
                throw new BuildException("the agent's class-data archive was not written", "see the self-test output above");
            }
            for (String key : new String[] {NODE_IDENTITY, WIREGUARD_KEY}) {
                if (Files.exists(root.resolve(key.substring(1)))) {
                    throw new BuildException("the image holds a private key (" + key + "), which every appliance made from it would share",
                            "find what wrote it during the build");
                }
            }
        } finally {
            Files.deleteIfExists(p12);
            Files.deleteIfExists(cfg);
            dev.mosvm.builder.SafeDelete.deleteTree(root.resolve("tmp/selftest-pool"));
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

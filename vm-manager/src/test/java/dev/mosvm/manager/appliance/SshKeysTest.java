package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's key is shared by every instance, and the tests (like users) bring several up side
 * by side in a fresh MOSVM_HOME: they must all end up with one consistent key pair, never an
 * error (CI once failed every pool test on "user_ed25519: FileAlreadyExistsException").
 */
class SshKeysTest {
    @TempDir
    Path dir;

    @Test
    void upsSideBySideInSeparateProcessesShareOneKey() throws Exception {
        Path key = dir.resolve("_config/user_ed25519");
        Path go = dir.resolve("go");
        List<Process> ups = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ups.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), EnsureAtSignal.class.getName(),
                    key.toString(), go.toString(), dir.resolve("warm" + i).toString()).redirectErrorStream(true).start());
        }
        List<BufferedReader> outs = new ArrayList<>();
        for (Process p : ups) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", r.readLine(), "a child did not get ready");
            outs.add(r);
        }
        Files.createFile(go); // all four reach for the missing key within a millisecond or so
        Set<String> lines = new HashSet<>();
        for (int i = 0; i < ups.size(); i++) {
            String line = outs.get(i).readLine();
            assertTrue(ups.get(i).waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, ups.get(i).exitValue(), "child " + i + " said: " + line);
            lines.add(line);
        }
        assertEquals(1, lines.size(), "children got different keys: " + lines);
        assertPairMatches(key, lines.iterator().next());
    }

    @Test
    void threadsSideBySideShareOneKey() throws Exception {
        Path key = dir.resolve("_config/user_ed25519");
        int n = 8;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<String>> got = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                got.add(pool.submit(() -> {
                    start.await();
                    return SshKeys.ensure(key, "mosvm");
                }));
            }
            Set<String> lines = new HashSet<>();
            for (Future<String> f : got) lines.add(f.get(60, TimeUnit.SECONDS));
            assertEquals(1, lines.size(), "threads got different keys: " + lines);
            assertPairMatches(key, lines.iterator().next());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExistingKeyIsKeptAndOnlyItsOwnerCanReadIt() throws Exception {
        Path key = dir.resolve("_config/user_ed25519");
        String first = SshKeys.ensure(key, "mosvm");
        String privateBefore = Files.readString(key);
        assertEquals(first, SshKeys.ensure(key, "mosvm"));
        assertEquals(privateBefore, Files.readString(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertTrue(first.startsWith("ssh-ed25519 ") && first.endsWith(" mosvm"), first);
    }

    /** The .pub file says {@code line}, and its key is the one the private file holds. */
    private static void assertPairMatches(Path key, String line) throws Exception {
        assertEquals(line, Files.readString(SshKeys.publicKeyOf(key)).trim());
        String pem = Files.readString(key).replaceAll("-----[A-Z ]+-----|\\s", "");
        Ed25519PrivateKeyParameters priv = (Ed25519PrivateKeyParameters) OpenSSHPrivateKeyUtil.parsePrivateKeyBlob(Base64.getDecoder().decode(pem));
        String derived = Base64.getEncoder().encodeToString(OpenSSHPublicKeyUtil.encodePublicKey(priv.generatePublicKey()));
        assertEquals(line.split(" ")[1], derived, "the public key does not belong to the private key");
    }

    /** A child `up`: warms up (class loading, a throwaway key), says ready, then ensures the shared key once told to. */
    public static final class EnsureAtSignal {
        public static void main(String[] args) throws Exception {
            SshKeys.ensure(Path.of(args[2]), "warm-up");
            System.out.println("ready");
            System.out.flush();
            Path go = Path.of(args[1]);
            while (!Files.exists(go)) Thread.onSpinWait();
            try {
                System.out.println(SshKeys.ensure(Path.of(args[0]), "mosvm"));
            } catch (Exception e) {
                System.out.println(e);
                System.exit(1);
            }
        }
    }
}

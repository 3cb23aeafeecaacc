package dev.mosvm.manager.e2e;

import dev.mosvm.builder.SafeDelete;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Two appliances, ca and cb, in pool "jobs" with their balancers off (the classes that use it
 * move jobs by hand), booted once per test run and shared by every class that needs only a
 * pool of two (JobsIT, MigrationBenchmarkIT): one boot and one join instead of one per class.
 * A class gets it as a parameter of its {@code @BeforeAll} ({@code @ExtendWith(PoolOfTwo.Shared.class)});
 * it is powered off before a class that boots its own VMs ({@link PoolOfTwoPowerOff}) and
 * destroyed when the run ends. Memory fits the migration benchmark's largest job.
 */
final class PoolOfTwo extends PoolTestBase implements ExtensionContext.Store.CloseableResource {
    static final List<String> NODES = List.of("ca", "cb");
    private final Path home;

    private PoolOfTwo() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-pool-of-two");
        cli = new MosvmCli(home);
        int largest = MigrationBenchmarkIT.SIZES_MIB.stream().mapToInt(i -> i).max().orElse(10);
        // a job, its images on each side, the agent; at least room for JobsIT's growing job, whose
        // pre-copy rounds stage about 3.5 times its size (240 MiB, moved at 140: 500-650 MiB of images)
        String memory = Math.max(2048, 3 * largest + 512) + "M";
        // sealed, as pools are by default; scripts/bench-migration.sh measures plain with -Dpool.pageStreams=plain
        try {
            upPool("jobs", System.getProperty("pool.pageStreams", "sealed"), vms("ca", List.of("--memory", memory), "cb", List.of("--memory", memory)));
            for (String vm : NODES) cli.run("balance", "-i", vm, "off").ok();
        } catch (Exception | AssertionError e) {
            close(); // JUnit keeps only the failure, so nothing else would destroy a node that did come up
            throw e;
        }
    }

    MosvmCli cli() {
        return cli;
    }

    /**
     * Starts again a node an earlier class powered off (JobsIT kills its target VM mid-move),
     * and waits until both mount each other's files again.
     */
    PoolOfTwo running() throws Exception {
        for (String vm : NODES) {
            if (!isRunning(vm)) cli.run("up", vm).ok();
        }
        for (String vm : NODES) {
            for (String other : NODES) {
                if (!other.equals(vm)) waitUntil(vm, "grep -q ' /pool/" + other + " nfs4 ' /proc/mounts && echo yes || true", "yes"::equals, 180);
            }
        }
        return this;
    }

    /** Stops both nodes (defined, disks kept) until a class asks for {@link #running()} again. */
    void powerOff() throws Exception {
        for (String vm : NODES) {
            if (isRunning(vm)) cli.run("down", vm).ok();
        }
    }

    private boolean isRunning(String vm) throws Exception {
        return cli.run("status", vm, "--json").json().path("state").asText().equalsIgnoreCase("running");
    }

    @Override
    public void close() throws Exception {
        for (String vm : NODES) cli.run("destroy", vm);
        SafeDelete.deleteTree(home);
    }

    /** Hands the run's one pool of two to a class's {@code @BeforeAll}, booting it for the first class that asks. */
    static final class Shared implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
            return p.getParameter().getType() == PoolOfTwo.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
            Class<?> c = ctx.getRequiredTestClass();
            if (!E2eGroups.onPoolOfTwo(c)) {
                // scripts/test-all.sh runs untagged classes after this pool is gone, and beside classes that boot VMs of their own
                throw new IllegalStateException(c.getSimpleName() + " uses the pool of two: tag it @Tag(E2eGroups.POOL_OF_TWO)");
            }
            return ctx.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(PoolOfTwo.class, k -> {
                try {
                    return new PoolOfTwo();
                } catch (Exception e) {
                    throw new IllegalStateException("the pool of two did not come up: " + e.getMessage(), e);
                }
            }, PoolOfTwo.class);
        }
    }
}

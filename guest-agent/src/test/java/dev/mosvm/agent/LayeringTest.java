package dev.mosvm.agent;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guest agent's map (docs/internals.md) as rules: each folder may use only those below it,
 * no two folders need each other, the pure cores touch no I/O layer, and the top package holds
 * only the entry points. A change that breaks the map fails here rather than in review.
 */
class LayeringTest {
    private static JavaClasses agent;

    @BeforeAll
    static void importAgent() {
        agent = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.mosvm.agent");
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("entry").definedBy("dev.mosvm.agent")
                .layer("cli").definedBy("dev.mosvm.agent.cli..")
                .layer("api").definedBy("dev.mosvm.agent.api..")
                .layer("pool").definedBy("dev.mosvm.agent.pool..")
                .layer("checkpoint").definedBy("dev.mosvm.agent.checkpoint..")
                .layer("migrate").definedBy("dev.mosvm.agent.migrate..")
                .layer("jobs").definedBy("dev.mosvm.agent.jobs..")
                .layer("homefs").definedBy("dev.mosvm.agent.homefs..")
                .layer("net").definedBy("dev.mosvm.agent.net..")
                .layer("cores").definedBy("dev.mosvm.agent.gossip..", "dev.mosvm.agent.balance..", "dev.mosvm.agent.recovery..",
                        "dev.mosvm.agent.node..", "dev.mosvm.agent.layout..", "dev.mosvm.agent.wire..", "dev.mosvm.agent.guard..",
                        "dev.mosvm.agent.timekeeping..")
                .whereLayer("entry").mayNotBeAccessedByAnyLayer()
                .whereLayer("cli").mayOnlyBeAccessedByLayers("entry")
                .whereLayer("api").mayOnlyBeAccessedByLayers("entry", "cli")
                .whereLayer("pool").mayOnlyBeAccessedByLayers("entry", "api")
                .whereLayer("checkpoint").mayOnlyBeAccessedByLayers("entry", "api", "pool")
                .whereLayer("migrate").mayOnlyBeAccessedByLayers("entry", "api", "pool", "checkpoint")
                .whereLayer("jobs").mayOnlyBeAccessedByLayers("entry", "cli", "api", "pool", "migrate", "checkpoint")
                .whereLayer("homefs").mayOnlyBeAccessedByLayers("entry", "pool")
                .whereLayer("net").mayOnlyBeAccessedByLayers("entry", "cli", "api", "pool", "migrate", "jobs", "homefs")
                .check(agent);
    }

    @Test
    void noTwoFoldersDependOnEachOther() {
        slices().matching("dev.mosvm.agent.(*)..").should().beFreeOfCycles().check(agent);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gossip", "balance", "recovery", "migrate.steps"})
    void theDecisionCoresArePure(String core) {
        // what the simulator runs (and recovery's decisions, tested with a clock the test moves): no sockets, files,
        // processes, threads or wall clock, and no other agent folder
        String own = "dev.mosvm.agent." + core + "..";
        noClasses().that().resideInAPackage(own)
                .should().dependOnClassesThat(resideInAnyPackage("java.net..", "java.nio.file..", "java.nio.channels..", "java.util.concurrent..")
                        .or(belongToAnyOf(java.io.File.class, ProcessBuilder.class, Thread.class))
                        .or(resideInAPackage("dev.mosvm.agent..").and(not(resideInAPackage(own)))))
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .check(agent);
    }

    @Test
    void theCheckpointStoreRunsNothing() {
        // files only: the Checkpointer, which takes and restores checkpoints, runs CRIU and owns the threads
        noClasses().that().resideInAPackage("dev.mosvm.agent.checkpoint..").and().haveNameNotMatching(".*\\.Checkpointer(\\$.*)?")
                .should().dependOnClassesThat(resideInAnyPackage("java.net..", "java.nio.channels.spi..", "java.util.concurrent..")
                        .or(belongToAnyOf(ProcessBuilder.class, Process.class, Thread.class, java.nio.channels.SocketChannel.class)))
                .check(agent);
    }

    @Test
    void checkpointRetentionIsPure() {
        // decides on numbers only, so its properties can be tested on any history
        noClasses().that().haveNameMatching("dev\\.mosvm\\.agent\\.checkpoint\\.Retention(\\$.*)?")
                .should().dependOnClassesThat(resideInAnyPackage("java.io..", "java.nio..").or(belongToAnyOf(System.class, Thread.class)))
                .check(agent);
    }

    @Test
    void theTopPackageHoldsOnlyTheEntryPoints() {
        classes().that().resideInAPackage("dev.mosvm.agent").and().areTopLevelClasses()
                .should().haveSimpleNameStartingWith("Agent")
                .check(agent);
    }
}

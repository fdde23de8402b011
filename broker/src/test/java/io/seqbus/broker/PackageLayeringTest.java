package io.seqbus.broker;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The broker's packages depend one way (ARCHITECTURE.md draws it). Lowest first:
 * <pre>
 *   route, quota, counters, log   depend on nothing of the broker
 *   acl     (access rules)        route
 *   config  (settings, context)   acl (the context holds the compiled rules)
 *   fanout  (subscriber endpoint) route, quota, counters
 *   shm     (shared memory)       fanout (its rings and eventfds: module sys)
 *   net     (sockets)             fanout, acl, quota, shm (its native calls: module sys, io.seqbus.sys)
 *   bridge  (the LAN over Aeron)  config, log, route (memfd payloads: module sys)
 *   systemd, metrics, stat        what they report on, never the agent
 *   the root package              the agent and the lifecycle, over all of the above; nothing uses it
 * </pre>
 */
class PackageLayeringTest
{
    private static final JavaClasses BROKER = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.seqbus.broker");

    @Test
    void noCycleAmongTheBrokersPackages()
    {
        slices().matching("io.seqbus.broker.(*)..").should().beFreeOfCycles().check(BROKER);
    }

    @Test
    void noPackageUsesTheAgentOrTheLifecycle()
    {
        noClasses().that().resideInAPackage("io.seqbus.broker.*..")
            .should().dependOnClassesThat().resideInAPackage("io.seqbus.broker")
            .because("the root package is the agent and Broker's lifecycle, on top of everything else")
            .check(BROKER);
    }

    @Test
    void theCoreDependsOnlyDownward()
    {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("route").definedBy("io.seqbus.broker.route..")
            .layer("quota").definedBy("io.seqbus.broker.quota..")
            .layer("counters").definedBy("io.seqbus.broker.counters..")
            .layer("log").definedBy("io.seqbus.broker.log..")
            .layer("acl").definedBy("io.seqbus.broker.acl..")
            .layer("config").definedBy("io.seqbus.broker.config..")
            .layer("fanout").definedBy("io.seqbus.broker.fanout..")
            .layer("shm").definedBy("io.seqbus.broker.shm..")
            .layer("net").definedBy("io.seqbus.broker.net..")
            .layer("bridge").definedBy("io.seqbus.broker.bridge..")
            .layer("reporting").definedBy(
                "io.seqbus.broker.systemd..", "io.seqbus.broker.metrics..", "io.seqbus.broker.stat..")
            .layer("agent").definedBy("io.seqbus.broker")
            .whereLayer("agent").mayNotBeAccessedByAnyLayer()
            .whereLayer("reporting").mayOnlyBeAccessedByLayers("agent", "reporting")
            .whereLayer("bridge").mayOnlyBeAccessedByLayers("agent", "reporting")
            .whereLayer("net").mayOnlyBeAccessedByLayers("agent", "reporting")
            .whereLayer("shm").mayOnlyBeAccessedByLayers("net", "agent", "reporting")
            .whereLayer("fanout").mayOnlyBeAccessedByLayers("shm", "net", "agent", "reporting")
            .whereLayer("config").mayOnlyBeAccessedByLayers("bridge", "agent", "reporting")
            .whereLayer("acl").mayOnlyBeAccessedByLayers("config", "net", "agent", "reporting")
            .whereLayer("route").mayOnlyBeAccessedByLayers("acl", "fanout", "bridge", "agent", "reporting")
            .whereLayer("quota").mayOnlyBeAccessedByLayers("fanout", "net", "agent", "reporting")
            .check(BROKER);
    }
}

package io.seqbus.ops;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The command line runs the broker through its front door: {@code Broker}, its settings ({@code config}), its
 * counters and its log; never the agent's insides (sockets, fan-out, topic index, access rules, the bridge).
 */
class BrokerApiUseTest
{
    @Test
    void opsUsesOnlyTheBrokersFrontDoor()
    {
        final JavaClasses ops = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.seqbus.ops");
        noClasses().that().resideInAPackage("io.seqbus.ops..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "io.seqbus.broker.net..", "io.seqbus.broker.fanout..", "io.seqbus.broker.route..",
                "io.seqbus.broker.quota..", "io.seqbus.broker.acl..", "io.seqbus.broker.bridge..",
                "io.seqbus.broker.stat..", "io.seqbus.broker.metrics..", "io.seqbus.broker.systemd..")
            .orShould().dependOnClassesThat(DescribedPredicate.describe(
                "agent classes of the broker's root package",
                c -> c.getPackageName().equals("io.seqbus.broker") &&
                    !c.getSimpleName().equals("Broker") && !c.getSimpleName().equals("ReloadResult") &&
                    !c.getName().startsWith("io.seqbus.broker.Broker$")))
            .check(ops);
    }
}

package io.seqbus.sys;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/**
 * The native calls stand alone: the broker and the client both use them, so they use nothing of either, only
 * the JDK, JNA and Agrona.
 */
class SysDependenciesTest
{
    private static final JavaClasses SYS = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.seqbus.sys");

    @Test
    void sysUsesOnlyTheJdkJnaAndAgrona()
    {
        classes().that().resideInAPackage("io.seqbus.sys..")
            .should().onlyDependOnClassesThat().resideInAnyPackage(
                "io.seqbus.sys..", "java..", "com.sun.jna..", "org.agrona..")
            .check(SYS);
    }
}

package io.github.sparklayernorm.kernels;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine module's packages and the one direction of their arrows (docs/architecture.md):
 * {@code routing} → {@code opencl} → {@code java} → the contract ({@code kernels}), never back.
 */
class EnginePackagesTest {

    private static final String ROOT = "io.github.sparklayernorm.kernels";
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @Test
    void packagesHaveNoCycle() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theContractDependsOnNoEngine() {
        noClasses().that().resideInAPackage(ROOT)
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".java..", ROOT + ".opencl..", ROOT + ".routing..")
                .check(classes);
    }

    @Test
    void theJavaEngineKnowsNothingOfOpenClOrRouting() {
        noClasses().that().resideInAPackage(ROOT + ".java..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".opencl..", ROOT + ".routing..", "com.aparapi..")
                .check(classes);
    }

    @Test
    void theOpenClEngineDoesNotRoute() {
        noClasses().that().resideInAPackage(ROOT + ".opencl..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".routing..")
                .check(classes);
    }

    @Test
    void onlyTheOpenClPackageCallsAparapi() {
        noClasses().that().resideOutsideOfPackage(ROOT + ".opencl..")
                .should().dependOnClassesThat().resideInAPackage("com.aparapi..")
                .check(classes);
    }
}

package io.github.sparklayernorm.ml;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.github.sparklayernorm.ml.exec.Execution;
import io.github.sparklayernorm.ml.exec.HandleInvalid;
import io.github.sparklayernorm.ml.exec.InvalidReason;
import io.github.sparklayernorm.ml.exec.NormalizerMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's packages and their one direction (docs/architecture.md): the stages ({@code ml})
 * → execution inside Spark ({@code ml.exec}) → the schema side ({@code ml.plan}); the engine
 * module is reached through its routing and contract, never through OpenCL directly.
 */
class LibraryPackagesTest {

    private static final String ROOT = "io.github.sparklayernorm";
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT + ".ml", ROOT + ".weights");
    }

    @Test
    void packagesHaveNoCycle() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void executionDoesNotReachBackIntoTheStages() {
        noClasses().that().resideInAPackage(ROOT + ".ml.exec..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".ml", ROOT + ".ml.param..")
                .check(classes);
    }

    /** The stages hand a transform to {@link Execution}; how it runs (paths, settings, Spark's internals) is its own. */
    @Test
    void theStagesEnterExecutionThroughItsEntryPointOnly() {
        classes().that().resideInAPackage(ROOT + ".ml")
                .should().onlyDependOnClassesThat(resideOutsideOfPackage(ROOT + ".ml.exec..")
                        .or(belongToAnyOf(Execution.class, HandleInvalid.class, NormalizerMetrics.class,
                                InvalidReason.class)))
                .check(classes);
    }

    @Test
    void theSchemaSideKnowsNothingOfExecution() {
        noClasses().that().resideInAPackage(ROOT + ".ml.plan..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".ml", ROOT + ".ml.exec..")
                .check(classes);
    }

    @Test
    void theLibraryUsesNeitherOpenClNorAparapiDirectly() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage(ROOT + ".kernels.opencl..", "com.aparapi..")
                .check(classes);
    }
}

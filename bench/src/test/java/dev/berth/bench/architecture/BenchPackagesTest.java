package dev.berth.bench.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's packages depend one way: the commands on the comparison, reports and
 * workloads; the comparison on reports and workloads; workloads on reports, never back.
 */
class BenchPackagesTest {

  // The module's own classes only: scanning the class path for the package takes seconds.
  private static final JavaClasses BENCH = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importUrl(dev.berth.bench.Main.class.getProtectionDomain().getCodeSource().getLocation());

  @Test
  void packagesHaveNoCycle() {
    slices().matching("dev.berth.(bench).(**)").should().beFreeOfCycles().check(BENCH);
  }

  @Test
  void noPackageBelowTheCommandsUsesThem() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideInAPackage("dev.berth.bench.(*)..")
        .should().dependOnClassesThat().resideInAPackage("dev.berth.bench")
        .check(BENCH);
  }
}

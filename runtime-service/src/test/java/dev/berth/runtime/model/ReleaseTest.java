package dev.berth.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReleaseTest {

  private final List<String> ran = new ArrayList<>();

  private ReleaseStep step(String name) {
    return new ReleaseStep(name, () -> ran.add(name));
  }

  private ReleaseStep failing(String name) {
    return new ReleaseStep(name, () -> {
      ran.add(name);
      throw new java.io.IOException(name + " is busy");
    });
  }

  @Test
  void stepsRunInTheirOrderAndTheLastOneLast() {
    List<String> failures = new Release(List.of(step("a"), step("b"), step("c")), Optional.of(step("record"))).run();

    assertEquals(List.of(), failures);
    assertEquals(List.of("a", "b", "c", "record"), ran);
  }

  @Test
  void aFailingStepDoesNotSkipTheOnesAfterIt() {
    List<String> failures = new Release(List.of(step("a"), failing("b"), step("c")), Optional.empty()).run();

    assertEquals(List.of("a", "b", "c"), ran);
    assertEquals(List.of("b: b is busy"), failures);
  }

  @Test
  void theLastStepIsSkippedWhenAnyOtherFailedSoARetryFindsTheObject() {
    List<String> failures = new Release(List.of(failing("a"), step("b"), failing("c")), Optional.of(step("record")))
        .run();

    assertEquals(List.of("a", "b", "c"), ran);
    assertEquals(List.of("a: a is busy", "c: c is busy"), failures);
  }

  @Test
  void aFailingLastStepIsReported() {
    List<String> failures = new Release(List.of(step("a")), Optional.of(failing("record"))).run();

    assertEquals(List.of("a", "record"), ran);
    assertEquals(List.of("record: record is busy"), failures);
  }

  @Test
  void aFailureWithoutAMessageIsNamedByItsType() {
    List<String> failures = Release.of(List.of(new ReleaseStep("a", () -> {
      throw new IllegalStateException();
    }))).run();

    assertEquals(List.of("a: java.lang.IllegalStateException"), failures);
  }

  @Test
  void anUndoFedWithReleaseStepsRunsThemLastPushedFirstAndPastAFailure() {
    Undo undo = new Undo();
    undo.push(step("directory"));
    undo.push(failing("cgroup"));
    undo.push(step("mount"));

    undo.rollback();

    assertEquals(List.of("mount", "cgroup", "directory"), ran);
  }
}

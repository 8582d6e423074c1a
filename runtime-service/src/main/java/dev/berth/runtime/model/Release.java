package dev.berth.runtime.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Release steps in their one defined order. Every step runs even when an earlier one failed (a
 * CNI plugin that fails must not leave the pod's shm mounted), and the failures are collected.
 * The {@code last} step, the one that forgets the object (its record, its directory), runs only
 * when all the others succeeded: a release that failed half way keeps the record, so a retry,
 * by the kubelet or at the next start, finds the object and finishes the job.
 */
public record Release(List<ReleaseStep> steps, Optional<ReleaseStep> last) {

  public Release {
    steps = List.copyOf(steps);
  }

  /** Steps with nothing to forget at the end (a stop, or an object whose record must stay). */
  public static Release of(List<ReleaseStep> steps) {
    return new Release(steps, Optional.empty());
  }

  /** Runs every step in order, then the last one if nothing failed; returns the failures, empty when released. */
  public List<String> run() {
    List<String> failures = new ArrayList<>();
    for (ReleaseStep step : steps) {
      String failure = step.runReportingFailure();
      if (failure != null) {
        failures.add(failure);
      }
    }
    if (failures.isEmpty() && last.isPresent()) {
      String failure = last.get().runReportingFailure();
      if (failure != null) {
        failures.add(failure);
      }
    }
    return List.copyOf(failures);
  }
}

package dev.berth.runtime.model;

/**
 * One named step of releasing what an object holds on the node (a mount, a namespace, a cgroup,
 * a process, a directory). Every step must succeed when what it releases is already gone or was
 * never made, so that the same step serves a create's undo, a removal, a retry of either, and
 * start-up recovery.
 */
public record ReleaseStep(String what, Undo.Step action) {

  /** Runs the step; a failure is returned as "what: why", never thrown. */
  String runReportingFailure() {
    try {
      action.run();
      return null;
    } catch (Exception e) {
      return what + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }
}

package dev.berth.runtime.model;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps a half-finished create has taken, undone in reverse when a later step fails, so a
 * failed create leaves no mount, namespace, cgroup, process or name behind.
 */
public final class Undo {

  private static final Logger log = LoggerFactory.getLogger(Undo.class);

  /** A clean-up step that may fail; its failure is logged and the others still run. */
  @FunctionalInterface
  public interface Step {
    void run() throws Exception;
  }

  private final Deque<NamedStep> steps = new ArrayDeque<>();

  private record NamedStep(String what, Step step) {}

  public void push(String what, Step step) {
    steps.push(new NamedStep(what, step));
  }

  /** A step of an object's release, pushed once the create has made what it releases. */
  public void push(ReleaseStep step) {
    push(step.what(), step.action());
  }

  /** The create succeeded: keep everything. */
  public void commit() {
    steps.clear();
  }

  public void rollback() {
    while (!steps.isEmpty()) {
      NamedStep step = steps.pop();
      try {
        step.step().run();
      } catch (Exception e) {
        log.warn("undo: {} failed: {}", step.what(), e.toString());
      }
    }
  }
}

package dev.berth.runtime.container;

/**
 * A container as persisted. Immutable: each transition is a new value, saved before it is
 * published. Times are Unix nanoseconds, 0 when not reached.
 *
 * @param reason Completed, Error, OOMKilled or Unknown once exited
 */
public record Container(
    String id,
    String sandboxId,
    ContainerSpec spec,
    ContainerState state,
    long createdAtNanos,
    long startedAtNanos,
    long finishedAtNanos,
    int exitCode,
    String reason,
    String message,
    long pid) {

  public Container started(long atNanos, long newPid) {
    return new Container(id, sandboxId, spec, ContainerState.RUNNING, createdAtNanos, atNanos, 0, 0, "", "",
        newPid);
  }

  public Container exited(long atNanos, int code, String newReason, String newMessage) {
    return new Container(id, sandboxId, spec, ContainerState.EXITED, createdAtNanos, startedAtNanos, atNanos, code,
        newReason, newMessage, pid);
  }

  public boolean isLive() {
    return state == ContainerState.CREATED || state == ContainerState.RUNNING;
  }
}

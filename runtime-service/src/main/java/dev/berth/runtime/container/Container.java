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

  public Container withResources(LinuxResources resources) {
    ContainerSpec s = spec;
    ContainerSpec updated = new ContainerSpec(s.name(), s.attempt(), s.image(), s.imageId(), s.imageRef(), s.args(),
        s.env(), s.workingDir(), s.uid(), s.gid(), s.supplementalGroups(), s.mounts(), s.devices(), s.labels(),
        s.annotations(), s.logPath(), s.stdin(), s.stdinOnce(), s.tty(), s.stopSignal(), resources,
        s.userSpecifiedImage());
    return new Container(id, sandboxId, updated, state, createdAtNanos, startedAtNanos, finishedAtNanos, exitCode,
        reason, message, pid);
  }

  public boolean isLive() {
    return state == ContainerState.CREATED || state == ContainerState.RUNNING;
  }
}

package dev.berth.runtime.container;

/**
 * What undoing a half-made container needs (see {@link dev.berth.runtime.store.CreationIntent}):
 * its pod and the cgroup runc makes for it.
 */
public record ContainerIntent(String sandboxId, String cgroupPath) {}

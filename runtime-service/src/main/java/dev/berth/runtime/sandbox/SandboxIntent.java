package dev.berth.runtime.sandbox;

/**
 * What undoing a half-made sandbox needs (see {@link dev.berth.runtime.store.CreationIntent}):
 * the spec (pod identity for CNI DEL, host network or not) and the pod cgroup, when Berth made it.
 *
 * @param ownedCgroup the pod cgroup Berth creates for this sandbox; empty when the kubelet named one
 */
public record SandboxIntent(SandboxSpec spec, String ownedCgroup) {}

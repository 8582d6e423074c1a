package dev.berth.runtime.container;

/** A bind mount into the container; propagation is private, rslave or rshared. */
public record MountSpec(String containerPath, String hostPath, boolean readonly, String propagation) {}

package dev.berth.runtime.container;

/** A host device node made available in the container, with cgroup permissions like "rwm". */
public record DeviceSpec(String containerPath, String hostPath, String permissions) {}

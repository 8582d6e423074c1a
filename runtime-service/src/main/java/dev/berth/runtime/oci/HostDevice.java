package dev.berth.runtime.oci;

/**
 * A device node resolved on the host: type c or b, its numbers and mode, and the cgroup access
 * ("rwm") the container gets to it.
 */
public record HostDevice(String containerPath, String type, long major, long minor, int fileMode,
    String permissions) {}

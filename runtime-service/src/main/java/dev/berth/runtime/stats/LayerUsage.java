package dev.berth.runtime.stats;

/**
 * A container's writable layer: bytes and inodes under its overlay upper directory.
 *
 * @param mountpoint the filesystem holding it, as ImageFsInfo names the image filesystem
 * @param timestampNanos when the walk that measured it finished (Unix nanoseconds)
 */
public record LayerUsage(long bytes, long inodes, String mountpoint, long timestampNanos) {}

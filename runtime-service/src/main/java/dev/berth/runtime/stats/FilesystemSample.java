package dev.berth.runtime.stats;

/**
 * The filesystem that holds the containers' writable layers, as cAdvisor reports it beside each
 * container's usage of it.
 *
 * @param device the mount's source ("/dev/vda1"), cAdvisor's {@code device} label
 */
public record FilesystemSample(String device, long capacityBytes, long inodesTotal, long inodesFree) {}

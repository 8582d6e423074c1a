package dev.berth.shim;

/**
 * A container created by conmon and not yet started.
 *
 * @param containerPid host pid of the container's init process
 * @param shimPid      host pid of the daemonized conmon that holds the container
 */
public record CreatedProcess(long containerPid, long shimPid) {
}

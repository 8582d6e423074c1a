package dev.berth.runtime.handler;

/**
 * What pods of one runtime handler can ask for, as the kubelet reads it from Status before it
 * sends such a pod: true only where this node can really do it.
 *
 * @param recursiveReadOnlyMounts mounts with {@code recursive_read_only} (the OCI runtime's
 *     {@code rro} option, which needs the kernel's mount_setattr)
 * @param userNamespaces pods with {@code userns_options} mode POD
 */
public record HandlerFeatures(boolean recursiveReadOnlyMounts, boolean userNamespaces) {}

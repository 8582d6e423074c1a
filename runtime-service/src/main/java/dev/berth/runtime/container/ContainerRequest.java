package dev.berth.runtime.container;

import java.util.List;
import java.util.Map;

/**
 * A CreateContainer call in domain terms. Null run-as values mean "not set".
 *
 * @param pidMode POD, CONTAINER, NODE or TARGET (then pidTargetId names the container to join)
 * @param logPath relative to the sandbox's log directory
 * @param stopSignal a signal name, empty for the image's or SIGTERM
 * @param userSpecifiedImage ImageSpec.user_specified_image, empty when not sent
 */
public record ContainerRequest(
    String name,
    int attempt,
    String image,
    List<String> command,
    List<String> args,
    String workingDir,
    List<String> env,
    List<MountSpec> mounts,
    List<DeviceSpec> devices,
    Map<String, String> labels,
    Map<String, String> annotations,
    String logPath,
    boolean stdin,
    boolean stdinOnce,
    boolean tty,
    Long runAsUser,
    Long runAsGroup,
    String runAsUsername,
    boolean readonlyRootfs,
    String pidMode,
    LinuxResources resources,
    String stopSignal,
    SecurityRequest security,
    String pidTargetId,
    String userSpecifiedImage) {}

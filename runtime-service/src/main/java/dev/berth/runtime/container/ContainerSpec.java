package dev.berth.runtime.container;

import java.util.List;
import java.util.Map;

/**
 * What the kubelet asked for, with the image resolved: fixed at create.
 *
 * @param image the image as the kubelet named it (the kubelet names it by image id)
 * @param imageId the image's config digest
 * @param imageRef the repo digest when the image has one, otherwise the image id
 * @param logPath absolute path of the container's CRI log, empty for none
 * @param stopSignal the signal StopContainer sends first (name like SIGTERM)
 * @param userSpecifiedImage the image as the user wrote it (ImageSpec.user_specified_image: the
 *     kubelet creates by image id and sends the pod spec's name here); empty when not sent, and in
 *     records written before it was kept
 */
public record ContainerSpec(
    String name,
    int attempt,
    String image,
    String imageId,
    String imageRef,
    List<String> args,
    List<String> env,
    String workingDir,
    long uid,
    long gid,
    List<Long> supplementalGroups,
    List<MountSpec> mounts,
    List<DeviceSpec> devices,
    Map<String, String> labels,
    Map<String, String> annotations,
    String logPath,
    boolean stdin,
    boolean stdinOnce,
    boolean tty,
    String stopSignal,
    LinuxResources resources,
    String userSpecifiedImage) {

  public ContainerSpec {
    userSpecifiedImage = userSpecifiedImage == null ? "" : userSpecifiedImage;
    args = List.copyOf(args);
    env = List.copyOf(env);
    supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
    mounts = List.copyOf(mounts);
    devices = List.copyOf(devices);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  /** The image as a person named it: the user's name when the kubelet sent one, else the request's image. */
  public String displayImage() {
    return userSpecifiedImage.isEmpty() ? image : userSpecifiedImage;
  }
}

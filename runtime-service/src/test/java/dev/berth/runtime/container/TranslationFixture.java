package dev.berth.runtime.container;

import dev.berth.runtime.oci.Capabilities;
import dev.berth.runtime.oci.HostDevice;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.Seccomp;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One CreateContainer as the translation sees it, with the values a typical pod on a node has;
 * each golden case changes only what it is about. Mutable on purpose: a case reads as the few
 * fields the kubelet set.
 */
public final class TranslationFixture {

  static final String POD = "/run/berth/pods/5f0a";
  /** The node's bounding set in the golden files: every capability the kernel names, not this host's. */
  static final List<String> ALL_CAPABILITIES = Capabilities.known();

  // The request (CRI ContainerConfig).
  List<String> command = List.of();
  List<String> args = List.of();
  String workingDir = "";
  List<String> env = List.of();
  List<MountSpec> mounts = new ArrayList<>();
  List<DeviceSpec> devices = List.of();
  boolean stdin;
  boolean stdinOnce;
  boolean tty;
  Long runAsUser;
  Long runAsGroup;
  String runAsUsername;
  boolean readonlyRootfs;
  String pidMode = "CONTAINER";
  LinuxResources resources = LinuxResources.NONE;
  SecurityRequest security = SecurityRequest.DEFAULT;

  // The image's config and user files.
  ProcessPlan.ImageDefaults image = new ProcessPlan.ImageDefaults(List.of("/bin/server"), List.of("--port=8080"),
      List.of("PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"), "/srv", "");
  ImageUsers users = new ImageUsers(
      List.of(new ImageUsers.Passwd("root", 0, 0), new ImageUsers.Passwd("www", 33, 34),
          new ImageUsers.Passwd("app", 1000, 1000)),
      List.of(new ImageUsers.Group("root", "0", List.of()), new ImageUsers.Group("www-data", "34", List.of()),
          new ImageUsers.Group("video", "44", List.of("app")), new ImageUsers.Group("staff", "50", List.of("app", "www")),
          new ImageUsers.Group("app", "1000", List.of())));

  // The pod (an infra process at pid 4242 holds its IPC and UTS namespaces) and the node.
  /** Public: the manager derives it from the request's pid mode and the pod, so a CRI-level case sets it. */
  public NamespacePlan namespaces = new NamespacePlan("/run/berth/netns/5f0a", NamespacePlan.NEW, "/proc/4242/ns/ipc",
      "/proc/4242/ns/uts");
  Path rootfs = Path.of("/var/lib/berth/containers/c0ffee/bundle/rootfs");
  /** The mapping of the pod's own user namespace; empty for a pod in the node's. */
  Optional<UserNamespaceMapping> userNamespace = Optional.empty();
  ContainerOciSpec.PodFiles podFiles = new ContainerOciSpec.PodFiles(POD + "/hostname", POD + "/hosts",
      POD + "/resolv.conf", POD + "/shm");
  int oomScoreAdjFloor = -999;
  long pidsLimit;

  // What the manager read from the host.
  List<HostDevice> hostDevices = List.of();
  List<HostDevice> privilegedDevices = List.of();
  Optional<Seccomp> seccomp = Optional.empty();

  ContainerRequest request() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("io.kubernetes.container.name", "app");
    return new ContainerRequest("app", 0, "sha256:5e3b1c", command, args, workingDir, env, List.copyOf(mounts),
        devices, labels, Map.of(), "app/0.log", stdin, stdinOnce, tty, runAsUser, runAsGroup, runAsUsername,
        readonlyRootfs, pidMode, resources, "", security, "", "");
  }

  ContainerOciSpec.Translated translate() {
    return translate(request(), new ContainerOciSpec.HostFacts(users, List.copyOf(mounts), hostDevices,
        privilegedDevices, seccomp));
  }

  /**
   * A request made elsewhere (the CRI translator's) translated in this fixture's pod and node, its
   * mounts taken as resolved and its seccomp profile read as the manager reads it.
   */
  public ContainerOciSpec.Translated translate(ContainerRequest request) {
    return translate(request, new ContainerOciSpec.HostFacts(users, request.mounts(), hostDevices, privilegedDevices,
        request.security().privileged() ? Optional.empty()
            : dev.berth.runtime.oci.SeccompProfiles.resolve(request.security().seccomp())));
  }

  private ContainerOciSpec.Translated translate(ContainerRequest request, ContainerOciSpec.HostFacts host) {
    return ContainerOciSpec.translate(request, image,
        new ContainerOciSpec.Pod(rootfs, "/kubepods/besteffort/pod5f0a/c0ffee", namespaces, podFiles,
            userNamespace),
        new ContainerOciSpec.Node(oomScoreAdjFloor, pidsLimit, ALL_CAPABILITIES, false), host);
  }

  static SecurityRequest security(boolean privileged, List<String> add, List<String> drop, boolean noNewPrivileges,
      List<String> masked, List<String> readonly, List<Long> groups, String seccomp, boolean strictGroups) {
    return new SecurityRequest(privileged, add, drop, noNewPrivileges, masked, readonly, groups, seccomp, strictGroups);
  }
}

package dev.berth.runtime.container;

import static dev.berth.runtime.container.TranslationFixture.security;

import dev.berth.runtime.oci.HostDevice;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciGoldenFiles;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.oci.Seccomp;
import dev.berth.runtime.oci.SeccompProfiles;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each field the kubelet sends in a CreateContainer, translated to the config.json runc gets, and
 * compared with its golden file under {@code oci-golden/container/} (see {@link OciGoldenFiles} to
 * regenerate). Every case starts from {@link TranslationFixture}'s typical pod and sets only its
 * own field, so a golden file differs from {@code minimal.json} exactly where that field acts.
 * AppArmor and SELinux (the kubelet's selinux_relabel) are not translated: these nodes have
 * neither, and Berth refuses or ignores them at the edge.
 */
class ContainerOciSpecGoldenTest {

  private static final HostDevice FUSE = new HostDevice("/dev/fuse", "c", 10, 229, 0666, "rw");
  private static final HostDevice NULL = new HostDevice("/dev/null", "c", 1, 3, 0666, "rwm");
  private static final HostDevice DISK = new HostDevice("/dev/sda", "b", 8, 0, 0660, "rwm");

  static Stream<Arguments> cases() {
    Map<String, Consumer<TranslationFixture>> cases = new java.util.LinkedHashMap<>();
    cases.put("minimal", f -> { });
    // Process: command, args, env, working dir, terminal and stdin.
    cases.put("command-args-env-workdir", f -> {
      f.command = List.of("/bin/sh", "-c");
      f.args = List.of("exec server");
      f.env = List.of("LANG=en_US.UTF-8", "MODE=pod");
      f.workingDir = "/work";
    });
    cases.put("args-only-keeps-entrypoint", f -> f.args = List.of("--port=9090"));
    cases.put("tty-stdin", f -> {
      f.tty = true;
      f.stdin = true;
      f.stdinOnce = true;
    });
    // Users and groups.
    cases.put("run-as-user-and-group", f -> {
      f.runAsUser = 1000L;
      f.runAsGroup = 2000L;
    });
    cases.put("run-as-user-image-primary-group", f -> f.runAsUser = 33L);
    cases.put("run-as-username", f -> f.runAsUsername = "app");
    cases.put("image-user-name-and-group", f -> f.image = new ProcessPlan.ImageDefaults(List.of("/bin/server"),
        List.of(), List.of(), "", "www:staff"));
    cases.put("supplemental-groups-merge", f -> {
      f.runAsUser = 1000L;
      f.security = security(false, List.of(), List.of(), false, null, null, List.of(3000L, 44L),
          SecurityRequest.UNCONFINED, false);
    });
    cases.put("supplemental-groups-strict", f -> {
      f.runAsUser = 1000L;
      f.security = security(false, List.of(), List.of(), false, null, null, List.of(3000L),
          SecurityRequest.UNCONFINED, true);
    });
    // Capabilities, privileges, no_new_privs.
    cases.put("capabilities-add-drop", f -> f.security = security(false, List.of("NET_ADMIN", "cap_sys_time"),
        List.of("KILL", "CAP_MKNOD"), false, null, null, List.of(), SecurityRequest.UNCONFINED, false));
    cases.put("capabilities-drop-all-add-one", f -> f.security = security(false, List.of("NET_BIND_SERVICE"),
        List.of("ALL"), false, null, null, List.of(), SecurityRequest.UNCONFINED, false));
    cases.put("capabilities-add-all", f -> f.security = security(false, List.of("ALL"), List.of(), false, null, null,
        List.of(), SecurityRequest.UNCONFINED, false));
    cases.put("privileged", f -> {
      f.security = security(true, List.of(), List.of("ALL"), false, List.of("/proc/kcore"), null, List.of(),
          SecurityRequest.RUNTIME_DEFAULT, false);
      f.devices = List.of(new DeviceSpec("/dev/fuse", "/dev/fuse", "rw"));
      f.hostDevices = List.of(FUSE);
      f.privilegedDevices = List.of(NULL, DISK, FUSE);
    });
    cases.put("no-new-privileges", f -> f.security = security(false, List.of(), List.of(), true, null, null,
        List.of(), SecurityRequest.UNCONFINED, false));
    // Seccomp: unconfined is minimal.json.
    cases.put("seccomp-runtime-default", f -> {
      f.security = security(false, List.of(), List.of(), false, null, null, List.of(),
          SecurityRequest.RUNTIME_DEFAULT, false);
      f.seccomp = SeccompProfiles.resolve(SecurityRequest.RUNTIME_DEFAULT);
    });
    cases.put("seccomp-localhost", f -> {
      f.security = security(false, List.of(), List.of(), false, null, null, List.of(),
          SecurityRequest.LOCALHOST_PREFIX + "/var/lib/kubelet/seccomp/audit.json", false);
      f.seccomp = Optional.of(new Seccomp("SCMP_ACT_ERRNO", 1, List.of("SCMP_ARCH_X86_64"), List.of("SECCOMP_FILTER_FLAG_LOG"),
          null, null, List.of(new Seccomp.Syscall(List.of("read", "write", "exit_group"), "SCMP_ACT_ALLOW", null, null),
              new Seccomp.Syscall(List.of("personality"), "SCMP_ACT_ALLOW", null,
                  List.of(new Seccomp.Arg(0, 8, null, "SCMP_CMP_EQ"))))));
    });
    // Masked and read-only /proc paths: the kubelet's Unmasked procMount sends empty lists.
    cases.put("masked-readonly-paths", f -> f.security = security(false, List.of(), List.of(), false,
        List.of("/proc/kcore", "/proc/secret"), List.of("/proc/sys"), List.of(), SecurityRequest.UNCONFINED, false));
    cases.put("unmasked-proc", f -> f.security = security(false, List.of(), List.of(), false, List.of(), List.of(),
        List.of(), SecurityRequest.UNCONFINED, false));
    // Namespaces: CONTAINER (own pid) is minimal.json.
    cases.put("pid-namespace-pod", f -> {
      f.pidMode = "POD";
      f.namespaces = new NamespacePlan(f.namespaces.network(), "/proc/4242/ns/pid", f.namespaces.ipc(),
          f.namespaces.uts());
    });
    cases.put("pid-namespace-node", f -> {
      f.pidMode = "NODE";
      f.namespaces = new NamespacePlan(f.namespaces.network(), NamespacePlan.HOST, f.namespaces.ipc(),
          f.namespaces.uts());
    });
    cases.put("pid-namespace-target", f -> {
      f.pidMode = "TARGET";
      f.namespaces = new NamespacePlan(f.namespaces.network(), "/proc/5151/ns/pid", f.namespaces.ipc(),
          f.namespaces.uts());
    });
    cases.put("host-network-and-ipc", f -> {
      f.namespaces = new NamespacePlan(NamespacePlan.HOST, NamespacePlan.NEW, NamespacePlan.HOST, NamespacePlan.HOST);
      f.podFiles = new ContainerOciSpec.PodFiles(f.podFiles.hostname(), f.podFiles.hosts(), f.podFiles.resolvConf(),
          "/dev/shm");
    });
    cases.put("pinned-namespaces-without-infra", f -> f.namespaces = new NamespacePlan("/run/berth/netns/5f0a",
        NamespacePlan.NEW, "/run/berth/podns/5f0a/ipc", "/run/berth/podns/5f0a/uts"));
    // Mounts and the runtime handler's features (rro needs a runtime and kernel that have it).
    cases.put("mounts-readonly-and-propagation", f -> {
      f.mounts.add(new MountSpec("/data", "/var/lib/kubelet/pods/uid/volumes/data", false, "", false, "", "", null));
      f.mounts.add(new MountSpec("/config", "/var/lib/kubelet/pods/uid/volumes/config", true, "", false, "", "", null));
      f.mounts.add(new MountSpec("/host/run", "/run", true, "rslave", false, "", "", null));
    });
    cases.put("mount-rshared", f -> f.mounts.add(
        new MountSpec("/var/lib/csi", "/var/lib/kubelet/plugins", false, "rshared", false, "", "", null)));
    cases.put("mount-recursive-read-only", f -> f.mounts.add(
        new MountSpec("/host", "/var/lib/kubelet/pods/uid/volumes/host", true, "rprivate", true, "", "", null)));
    cases.put("mount-image-volume", f -> f.mounts.add(new MountSpec("/models", "/var/lib/berth/containers/c0ffee/"
        + "image-volumes/0/rootfs/models", true, "", false, "registry.local/models:v1", "models", null)));
    cases.put("mount-over-pod-files", f -> {
      f.mounts.add(new MountSpec("/etc/hosts", "/var/lib/kubelet/pods/uid/etc-hosts", false, "", false, "", "", null));
      f.mounts.add(new MountSpec("/dev/shm", "/var/lib/kubelet/pods/uid/volumes/shm", false, "", false, "", "", null));
    });
    cases.put("readonly-rootfs", f -> f.readonlyRootfs = true);
    // Devices.
    cases.put("devices", f -> {
      f.devices = List.of(new DeviceSpec("/dev/fuse", "/dev/fuse", "rw"));
      f.hostDevices = List.of(FUSE, new HostDevice("/dev/disk0", "b", 8, 0, 0660, "r"));
    });
    // Resources.
    cases.put("resources-cpu-memory", f -> f.resources = new LinuxResources(100000, 50000, 512, 256L << 20, 0,
        "0-1", "0", 512L << 20, List.of()));
    cases.put("resources-hugepages", f -> f.resources = new LinuxResources(0, 0, 2, 64L << 20, 0, "", "", 0,
        List.of(new LinuxResources.HugepageLimit("2MB", 4L << 20), new LinuxResources.HugepageLimit("1GB", 0))));
    cases.put("resources-unlimited-quota", f -> f.resources = new LinuxResources(100000, -1, 1024, 0, 0, "", "", 0,
        List.of()));
    cases.put("oom-score-adj", f -> f.resources = new LinuxResources(0, 0, 0, 0, 1000, "", "", 0, List.of()));
    cases.put("oom-score-adj-below-the-daemon", f -> {
      f.oomScoreAdjFloor = -500;
      f.resources = new LinuxResources(0, 0, 0, 0, -998, "", "", 0, List.of());
    });
    cases.put("pids-limit", f -> f.pidsLimit = 4096);
    // A pod with its own user namespace (userns_options mode POD): the container joins the pod's
    // pinned one, its mappings written as the namespace has them; its rootfs, the pod's files and
    // its host paths are the idmapped copies the manager staged in the pod's idmap tree.
    cases.put("user-namespace-pod", f -> {
      String staged = "/var/lib/berth-state-idmap/5f0a/c0ffee/";
      f.namespaces = f.namespaces.withUser("/run/berth/podns/5f0a/user");
      f.userNamespace = Optional.of(new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536),
          new IdMapping(0, 4_000_000, 65536)));
      f.rootfs = java.nio.file.Path.of(staged + "rootfs");
      f.podFiles = new ContainerOciSpec.PodFiles(staged + "0", staged + "1", staged + "2", staged + "3");
      f.mounts.add(new MountSpec("/data", staged + "4", false, "", false, "", "", null));
    });
    return cases.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void translatesAsTheGoldenFileSays(String name, Consumer<TranslationFixture> setUp) throws Exception {
    TranslationFixture fixture = new TranslationFixture();
    setUp.accept(fixture);
    OciGoldenFiles.assertMatches("container/" + name, OciSpecJson.text(fixture.translate().spec()));
  }

  /** UpdateContainerResources: the limits alone, as {@code runc update -r} reads them. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("updates")
  void updatesAsTheGoldenFileSays(String name, LinuxResources resources) throws Exception {
    OciGoldenFiles.assertMatches("update/" + name, OciSpecJson.text(ContainerOciSpec.limits(resources)));
  }

  static Stream<Arguments> updates() {
    return Stream.of(
        Arguments.of("cpu-memory-hugepages", new LinuxResources(100000, 20000, 256, 128L << 20, 0, "1", "", 256L << 20,
            List.of(new LinuxResources.HugepageLimit("2MB", 2L << 20)))),
        Arguments.of("nothing-set", LinuxResources.NONE));
  }
}

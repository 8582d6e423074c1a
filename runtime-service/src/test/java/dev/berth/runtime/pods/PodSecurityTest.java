package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.Capability;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxPodSandboxConfig;
import dev.berth.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.SecurityProfile;
import dev.berth.cri.v1.UpdateContainerResourcesRequest;
import dev.berth.runtime.sys.ProcFiles;
import dev.berth.runtime.testing.HostCgroupFiles;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the process inside the container observes of its security context and resources. */
@Tag("integration")
@Timeout(300)
class PodSecurityTest extends PodTestCase {


  private static List<String> run(String pod, String name, LinuxContainerSecurityContext.Builder security,
      String script) throws Exception {
    ContainerConfig config = env.containerConfig(name, "sh", "-c", script)
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(security)).build();
    ContainerStatus status = env.awaitExit(env.runContainer(pod, config));
    return env.logLines(status);
  }

  private static String field(List<String> statusLines, String name) {
    return statusLines.stream().filter(l -> l.startsWith(name + ":")).findFirst()
        .map(l -> l.substring(name.length() + 1).trim()).orElseThrow(() -> new AssertionError(name + " in " + statusLines));
  }

  @Test
  void capabilitiesAreTheDefaultsMinusDropsPlusAdds() throws Exception {
    String pod = env.runPod();
    List<String> status = run(pod, "caps", LinuxContainerSecurityContext.newBuilder()
        .setCapabilities(Capability.newBuilder().addDropCapabilities("ALL").addAddCapabilities("NET_ADMIN")),
        "cat /proc/self/status");
    // CAP_NET_ADMIN is capability 12.
    assertEquals("0000000000001000", field(status, "CapEff"));
    assertEquals("0000000000001000", field(status, "CapBnd"));
  }

  @Test
  void privilegedContainersGetEveryCapabilityAndTheHostDevices() throws Exception {
    String pod = env.runPod();
    List<String> lines = run(pod, "priv", LinuxContainerSecurityContext.newBuilder().setPrivileged(true),
        "grep CapEff /proc/self/status; grep Seccomp: /proc/self/status; ls /dev | grep -c .");
    // Everything the daemon (like this test, as root) may hand out: its bounding set.
    String bounding = field(ProcFiles.read(Path.of("/proc/self/status")).lines().toList(), "CapBnd");
    assertEquals(bounding, lines.get(0).split("\\s+")[1]);
    assertEquals("Seccomp:\t0", lines.get(1));
    assertTrue(Integer.parseInt(lines.get(2)) > 10, "host devices are visible: " + lines.get(2));
  }

  @Test
  void usersGroupsAndNoNewPrivsAreWhatTheProcessRunsWith() throws Exception {
    String pod = env.runPod();
    List<String> status = run(pod, "ids", LinuxContainerSecurityContext.newBuilder()
        .setRunAsUser(Int64Value.newBuilder().setValue(1001))
        .setRunAsGroup(Int64Value.newBuilder().setValue(2002))
        .addSupplementalGroups(3003).addSupplementalGroups(4004)
        .setNoNewPrivs(true), "cat /proc/self/status");
    assertTrue(field(status, "Uid").startsWith("1001\t1001"), field(status, "Uid"));
    assertTrue(field(status, "Gid").startsWith("2002\t2002"), field(status, "Gid"));
    assertEquals("2002 3003 4004", field(status, "Groups"));
    assertEquals("1", field(status, "NoNewPrivs"));
  }

  @Test
  void aReadOnlyRootfsAndReadOnlyProcPathsRefuseWrites() throws Exception {
    String pod = env.runPod();
    List<String> lines = run(pod, "ro", LinuxContainerSecurityContext.newBuilder().setReadonlyRootfs(true),
        "touch /newfile 2>/dev/null && echo rootfs-writable || echo rootfs-readonly;"
            + " (echo 1 > /proc/sys/vm/overcommit_memory) 2>/dev/null && echo proc-writable || echo proc-readonly;"
            + " wc -c < /proc/timer_list");
    assertEquals(List.of("rootfs-readonly", "proc-readonly", "0"), lines);
  }

  @Test
  void seccompProfilesFilterSyscalls() throws Exception {
    String pod = env.runPod();
    Path profile = env.dir().resolve("no-mkdir.json");
    Files.writeString(profile, """
        {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
        """);
    List<String> local = run(pod, "seccomp-local", LinuxContainerSecurityContext.newBuilder()
        .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost)
            .setLocalhostRef(profile.toString())),
        "mkdir /tmp/d 2>&1 || true; grep Seccomp: /proc/self/status");
    assertTrue(local.get(0).contains("Operation not permitted"), local.toString());
    assertEquals("Seccomp:\t2", local.get(1));

    List<String> runtimeDefault = run(pod, "seccomp-default", LinuxContainerSecurityContext.newBuilder()
        .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault)),
        "grep Seccomp: /proc/self/status; mkdir /tmp/ok && echo mkdir-ok");
    assertEquals(List.of("Seccomp:\t2", "mkdir-ok"), runtimeDefault);

    List<String> unconfined = run(pod, "seccomp-none", LinuxContainerSecurityContext.newBuilder(),
        "grep Seccomp: /proc/self/status");
    assertEquals(List.of("Seccomp:\t0"), unconfined);

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> env.createContainer(pod,
        env.containerConfig("seccomp-bad", "true").setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
            LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("my-profile"))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
  }

  @Test
  void podPidNamespaceShowsTheInfraProcessAsPidOne() throws Exception {
    String pod = env.runPod(env.sharedPidPodConfig("pidns").build());
    List<String> lines = run(pod, "pidns", LinuxContainerSecurityContext.newBuilder()
        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.POD)), "cat /proc/1/cmdline | tr '\\0' ' '");
    assertEquals("/catatonit -P", lines.getFirst().trim());
    List<String> own = run(pod, "ownpidns", LinuxContainerSecurityContext.newBuilder()
        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER)), "echo $$");
    assertEquals("1", own.getFirst());
  }

  @Test
  void namespacedSysctlsApplyAndOthersAreRefused() throws Exception {
    String pod = env.runPod(env.podConfig("sysctl").setLinux(LinuxPodSandboxConfig.newBuilder()
        .putSysctls("net.ipv4.ip_unprivileged_port_start", "81")
        .putSysctls("kernel.shmmni", "2048")).build());
    List<String> lines = run(pod, "sysctl", LinuxContainerSecurityContext.newBuilder(),
        "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni");
    assertEquals(List.of("81", "2048"), lines);

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> env.runPod(
        env.podConfig("badsysctl").setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("kernel.panic", "1")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("kernel.panic"), refused.getStatus().getDescription());
    StatusRuntimeException hostNet = assertThrows(StatusRuntimeException.class, () -> env.runPod(
        env.podConfig("hostsysctl").setLinux(LinuxPodSandboxConfig.newBuilder()
            .putSysctls("net.ipv4.ip_forward", "1")
            .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE)))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, hostNet.getStatus().getCode());
  }

  @Test
  void resourcesReachTheCgroupAndUpdateLive() throws Exception {
    String pod = env.runPod();
    ContainerConfig config = env.containerConfig("limited", "sleep", "600")
        .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
            .setMemoryLimitInBytes(64L << 20).setCpuShares(512).setCpuQuota(50_000).setCpuPeriod(100_000)))
        .build();
    String id = env.runContainer(pod, config);
    HostCgroupFiles host = HostCgroupFiles.ofThisHost();
    String cgroup = env.cgroupRoot() + "/" + pod + "/" + id;
    for (HostCgroupFiles.LimitFile limit : List.of(host.memoryLimit(64L << 20), host.cpuShares(512),
        host.cpuQuota(50_000, 100_000))) {
      assertEquals(limit.content(), host.read(cgroup, limit), limit.file());
    }

    env.runtime().updateContainerResources(UpdateContainerResourcesRequest.newBuilder().setContainerId(id)
        .setLinux(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(128L << 20).setCpuShares(256)
            .setCpuQuota(20_000).setCpuPeriod(100_000)).build());
    for (HostCgroupFiles.LimitFile limit : List.of(host.memoryLimit(128L << 20), host.cpuShares(256),
        host.cpuQuota(20_000, 100_000))) {
      assertEquals(limit.content(), host.read(cgroup, limit), limit.file());
    }
    LinuxContainerResources reported = env.status(id).getResources().getLinux();
    assertEquals(128L << 20, reported.getMemoryLimitInBytes());
    assertEquals(20_000, reported.getCpuQuota());
  }

  @Test
  void podResourcesReachThePodCgroup() throws Exception {
    String pod = env.runPod();
    env.runContainer(pod, env.containerConfig("member", "sleep", "600").build());
    env.runtime().updatePodSandboxResources(dev.berth.cri.v1.UpdatePodSandboxResourcesRequest.newBuilder()
        .setPodSandboxId(pod)
        .setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(256L << 20).setCpuShares(1024))
        .build());
    HostCgroupFiles host = HostCgroupFiles.ofThisHost();
    String podCgroup = env.cgroupRoot() + "/" + pod;
    for (HostCgroupFiles.LimitFile limit : List.of(host.memoryLimit(256L << 20), host.cpuShares(1024))) {
      assertEquals(limit.content(), host.read(podCgroup, limit), limit.file());
    }
  }

  private static String read(Path file) throws Exception {
    return Files.readString(file).trim();
  }
}

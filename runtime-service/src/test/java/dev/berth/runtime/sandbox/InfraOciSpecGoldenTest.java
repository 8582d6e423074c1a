package dev.berth.runtime.sandbox;

import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciGoldenFiles;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The infra (pause) process of a pod, golden files under {@code oci-golden/infra/}: the pod's
 * sysctls, hostname and host namespaces are where the kubelet's pod settings reach runc.
 */
class InfraOciSpecGoldenTest {

  private static SandboxSpec pod(String hostname, boolean hostNetwork, boolean hostPid, boolean hostIpc,
      Map<String, String> sysctls) {
    return pod(hostname, hostNetwork, hostPid, hostIpc, sysctls, null);
  }

  private static SandboxSpec pod(String hostname, boolean hostNetwork, boolean hostPid, boolean hostIpc,
      Map<String, String> sysctls, UserNamespaceMapping userNamespace) {
    return new SandboxSpec(new PodName("web", "5f0a-uid", "default", 0), hostname, "/var/log/pods/web", List.of(),
        List.of(), List.of(), List.of(), Map.of(), Map.of(), "/kubepods/besteffort/pod5f0a", hostNetwork, hostPid,
        hostIpc, true, sysctls, "", userNamespace);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("pod", pod("web-0", false, false, false, Map.of())),
        Arguments.of("pod-sysctls", pod("web-0", false, false, false,
            Map.of("net.ipv4.ip_unprivileged_port_start", "0", "kernel.shm_rmid_forced", "1"))),
        Arguments.of("host-namespaces", pod("web-0", true, true, true, Map.of())),
        // Its own user namespace: the infra joins the pinned one (runc makes its IPC and UTS
        // namespaces inside it) on the idmapped copy of the infra rootfs.
        Arguments.of("pod-user-namespace", pod("web-0", false, false, false, Map.of(),
            new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536), new IdMapping(0, 4_000_000, 65536)))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void translatesAsTheGoldenFileSays(String name, SandboxSpec spec) throws Exception {
    OciGoldenFiles.assertMatches("infra/" + name, OciSpecJson.text(InfraOciSpec.of(spec,
        spec.ownUserNamespace() ? Path.of("/var/lib/berth-state-idmap/5f0a/infra/rootfs")
            : Path.of("/var/lib/berth/infra-rootfs"), "web-0", "/run/berth/netns/5f0a",
        "/kubepods/besteffort/pod5f0a/5f0a", -998,
        spec.ownUserNamespace() ? "/run/berth/podns/5f0a/user" : NamespacePlan.HOST)));
  }
}

package dev.berth.runtime.cri;

import com.google.protobuf.ByteString;
import dev.berth.cri.v1.Capability;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerMetadata;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.KeyValue;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerResources;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.MountPropagation;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.NamespaceOption;
import dev.berth.cri.v1.SecurityProfile;
import dev.berth.runtime.container.TranslationFixture;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciGoldenFiles;
import dev.berth.runtime.oci.OciSpecJson;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole CreateContainer messages as the kubelet sends them, through the CRI translator and the
 * CRI-to-OCI translation, against golden files under {@code oci-golden/kubelet/}. They show
 * what Berth does with the fields it does not act on: selinux_relabel, AppArmor,
 * add_ambient_capabilities and the cgroup v2 {@code unified} map leave no trace in the spec.
 */
class KubeletContainerGoldenTest {

  private static final String KUBELET_POD = "/var/lib/kubelet/pods/5f0a-uid";

  /** A container of a pod under the "restricted" Pod Security Standard, with its usual volumes. */
  private static ContainerConfig restricted() {
    return ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName("app").setAttempt(1))
        .setImage(ImageSpec.newBuilder().setImage("sha256:5e3b1c").setUserSpecifiedImage("registry.local/app:1"))
        .addArgs("--port=8080")
        .addEnvs(KeyValue.newBuilder().setKey("POD_NAME").setValue(ByteString.copyFromUtf8("web-0")))
        .addEnvs(KeyValue.newBuilder().setKey("KUBERNETES_SERVICE_HOST").setValue(ByteString.copyFromUtf8("10.96.0.1")))
        .addMounts(Mount.newBuilder().setContainerPath("/var/run/secrets/kubernetes.io/serviceaccount")
            .setHostPath(KUBELET_POD + "/volumes/kubernetes.io~projected/kube-api-access-x1").setReadonly(true)
            .setSelinuxRelabel(true))
        .addMounts(Mount.newBuilder().setContainerPath("/etc/hosts").setHostPath(KUBELET_POD + "/etc-hosts")
            .setSelinuxRelabel(true))
        .addMounts(Mount.newBuilder().setContainerPath("/dev/termination-log")
            .setHostPath(KUBELET_POD + "/containers/app/1a2b").setSelinuxRelabel(true))
        .addMounts(Mount.newBuilder().setContainerPath("/cache").setHostPath(KUBELET_POD + "/volumes/empty-dir/cache")
            .setPropagation(MountPropagation.PROPAGATION_PRIVATE))
        .setLogPath("app/1.log")
        .setLinux(LinuxContainerConfig.newBuilder()
            .setResources(LinuxContainerResources.newBuilder().setCpuPeriod(100000).setCpuQuota(25000)
                .setCpuShares(256).setMemoryLimitInBytes(128L << 20).setOomScoreAdj(996)
                .putUnified("memory.high", "100000000"))
            .setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                .setCapabilities(Capability.newBuilder().addDropCapabilities("ALL")
                    .addAddAmbientCapabilities("NET_BIND_SERVICE"))
                .setRunAsUser(Int64Value.newBuilder().setValue(1000))
                .setRunAsGroup(Int64Value.newBuilder().setValue(3000))
                .addSupplementalGroups(2000)
                .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.POD)
                    .setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD))
                .setReadonlyRootfs(true)
                .setNoNewPrivs(true)
                .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault))
                .setApparmor(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault))))
        .build();
  }

  /** An ephemeral debug container (kubectl debug --profile=sysadmin) sharing its target's PID namespace. */
  private static ContainerConfig debugSysadmin() {
    return ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName("debugger-x7"))
        .setImage(ImageSpec.newBuilder().setImage("sha256:5e3b1c"))
        .addCommand("sh")
        .setStdin(true).setTty(true)
        .setLinux(LinuxContainerConfig.newBuilder()
            .setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                .setPrivileged(true)
                .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.POD)
                    .setPid(NamespaceMode.TARGET).setTargetId("4c7e").setIpc(NamespaceMode.POD))))
        .build();
  }

  static Stream<Arguments> cases() {
    NamespacePlan podPlan = new TranslationFixture().namespaces;
    return Stream.of(Arguments.of("restricted", restricted(), podPlan),
        // The manager joins the target's PID namespace through the target's init (pid 5151).
        Arguments.of("debug-sysadmin", debugSysadmin(),
            new NamespacePlan(podPlan.network(), "/proc/5151/ns/pid", podPlan.ipc(), podPlan.uts())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void translatesAsTheGoldenFileSays(String name, ContainerConfig config, NamespacePlan namespaces) throws Exception {
    TranslationFixture pod = new TranslationFixture();
    pod.namespaces = namespaces;
    OciGoldenFiles.assertMatches("kubelet/" + name,
        OciSpecJson.text(pod.translate(ContainerTranslator.request(config)).spec()));
  }
}

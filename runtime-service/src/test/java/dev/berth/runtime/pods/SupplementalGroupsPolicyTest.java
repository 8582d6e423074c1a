package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.LinuxContainerUser;
import dev.berth.cri.v1.SupplementalGroupsPolicy;
import dev.berth.runtime.testing.PodTestEnv;
import dev.berth.runtime.testing.TestImages;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KEP-3619 through the socket, with an image whose /etc/group puts its user 1000 in group 50000
 * (as critest's test-image-predefined-group): Merge adds that group, Strict does not, and
 * ContainerStatus.user names exactly the groups the process has.
 */
@Tag("integration")
@Timeout(300)
class SupplementalGroupsPolicyTest {

  private static final String IMAGE = "docker.io/library/busybox:berth-groups";

  static PodTestEnv env;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.start();
    TestImages.importBusyboxWithAccounts(env.daemon().client(), env.dir(), IMAGE,
        "default-user:x:1000:1000::/:/bin/sh\n", "default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n");
  }

  @AfterAll
  static void stop() throws Exception {
    env.close();
  }

  private static String run(String pod, String name, SupplementalGroupsPolicy policy) {
    return env.runContainer(pod, env.containerConfig(name, "sleep", "600")
        .setImage(ImageSpec.newBuilder().setImage(IMAGE))
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setRunAsUser(Int64Value.newBuilder().setValue(1000))
            .addSupplementalGroups(1234)
            .setSupplementalGroupsPolicy(policy)))
        .build());
  }

  /** The kernel's view: the Groups line of the container's own process (sleep), and what an exec gets. */
  private static List<String> groupsSeen(String id) {
    String out = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sh", "-c", "grep Groups: /proc/$(pidof sleep)/status; grep Groups: /proc/self/status; id -G"))
        .setTimeout(10).build()).getStdout().toStringUtf8();
    return out.lines().map(line -> line.replace("Groups:", "").strip()).toList();
  }

  private static List<Long> sorted(LinuxContainerUser user) {
    return user.getSupplementalGroupsList().stream().sorted().toList();
  }

  @Test
  void mergeAddsTheGroupsOfTheImage() {
    String id = run(env.runPod(), "merge", SupplementalGroupsPolicy.Merge);

    assertEquals(List.of("1000 1234 50000", "1000 1234 50000", "1000 1234 50000"), groupsSeen(id));
    LinuxContainerUser user = env.status(id).getUser().getLinux();
    assertEquals(1000, user.getUid());
    assertEquals(1000, user.getGid());
    assertEquals(List.of(1000L, 1234L, 50000L), sorted(user));
  }

  @Test
  void strictKeepsOnlyThePrimaryAndThePodsGroups() {
    String id = run(env.runPod(), "strict", SupplementalGroupsPolicy.Strict);

    assertEquals(List.of("1000 1234", "1000 1234", "1000 1234"), groupsSeen(id));
    ContainerStatus status = env.status(id);
    assertEquals(List.of(1000L, 1234L), sorted(status.getUser().getLinux()));
    assertTrue(status.getUser().getLinux().getSupplementalGroupsList().contains(1000L));
  }
}

package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.Mount;
import dev.berth.cri.v1.MountPropagation;
import dev.berth.runtime.testing.PodTestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mount propagation as the kubelet asks for it: rshared both ways, rslave host to container only,
 * rprivate not at all. The host side is a shared tmpfs made by the test.
 */
@Tag("integration")
@Timeout(300)
class MountPropagationTest {

  static PodTestEnv env;
  static Path shared;

  @BeforeAll
  static void start() throws Exception {
    env = PodTestEnv.start();
    shared = Files.createDirectories(env.dir().resolve("prop"));
    sh("mount -t tmpfs prop " + shared + " && mount --make-rshared " + shared);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      env.removeAllPods();
    } finally {
      sh("umount -R " + shared + " || true");
      env.close();
    }
  }

  private static void sh(String command) throws Exception {
    Process process = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    process.waitFor(30, TimeUnit.SECONDS);
    if (process.exitValue() != 0) {
      throw new AssertionError(command + " failed: " + output);
    }
  }

  private static String container(String pod, String name, MountPropagation propagation, boolean privileged) {
    ContainerConfig config = env.containerConfig(name, "sleep", "600")
        .addMounts(Mount.newBuilder().setContainerPath("/mnt/h").setHostPath(shared.toString()).setPropagation(propagation))
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
            LinuxContainerSecurityContext.newBuilder().setPrivileged(privileged)))
        .build();
    return env.runContainer(pod, config);
  }

  private static String exec(String id, String script) {
    return env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sh", "-c", script)).setTimeout(10).build()).getStdout().toStringUtf8().trim();
  }

  private static String seen(String id, String dir) {
    return exec(id, "grep -c ' /mnt/h/" + dir + " ' /proc/mounts || true");
  }

  @Test
  void propagationModesBehaveAsTheKubeletExpects() throws Exception {
    String pod = env.runPod();
    String bidirectional = container(pod, "both", MountPropagation.PROPAGATION_BIDIRECTIONAL, true);
    String hostToContainer = container(pod, "slave", MountPropagation.PROPAGATION_HOST_TO_CONTAINER, false);
    String isolated = container(pod, "private", MountPropagation.PROPAGATION_PRIVATE, false);

    Files.createDirectories(shared.resolve("from-host"));
    sh("mount -t tmpfs fromhost " + shared.resolve("from-host"));
    assertEquals("1", seen(bidirectional, "from-host"));
    assertEquals("1", seen(hostToContainer, "from-host"));
    assertEquals("0", seen(isolated, "from-host"));

    assertEquals("mounted", exec(bidirectional,
        "mkdir -p /mnt/h/from-container && mount -t tmpfs fromctr /mnt/h/from-container 2>&1 && echo mounted"));
    long onHost = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
        .filter(line -> line.contains(" " + shared.resolve("from-container") + " ")).count();
    assertEquals(1, onHost, "a mount made in an rshared container shows on the host");
    assertEquals("1", seen(hostToContainer, "from-container"));
  }
}

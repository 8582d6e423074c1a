package dev.berth.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.cri.client.CriClient;
import dev.berth.cri.v1.NamespaceMode;
import dev.berth.cri.v1.PodSandboxConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriPodsTest {

  @TempDir
  Path work;

  private PodSandboxConfig podConfig(CriPods.PidNamespace pidNamespace) {
    BenchOptions options = new BenchOptions(1, 1, 1, 1, 0, 0, 0, 0, 0, "busybox", work);
    // connect() is lazy: no call is made, so no runtime is needed.
    try (CriClient client = CriClient.connect(work.resolve("none.sock"))) {
      return new CriPods(client, options, Target.parse("name=t,socket=" + work.resolve("none.sock")), pidNamespace)
          .podConfig();
    }
  }

  @Test
  void theKubeletsDefaultPodAsksForAPidNamespacePerContainer() {
    assertEquals(NamespaceMode.CONTAINER, podConfig(CriPods.PidNamespace.PER_CONTAINER).getLinux()
        .getSecurityContext().getNamespaceOptions().getPid());
  }

  @Test
  void aSharedPidPodAsksForOnePidNamespaceForThePod() {
    assertEquals(NamespaceMode.POD, podConfig(CriPods.PidNamespace.SHARED_BY_POD).getLinux()
        .getSecurityContext().getNamespaceOptions().getPid());
  }

  @Test
  void eachKindOfPodIsReportedUnderItsOwnWorkload() {
    assertEquals(PodStart.NAME, PodStart.workloadName(CriPods.PidNamespace.PER_CONTAINER));
    assertEquals(PodStart.SHARED_PID_NAME, PodStart.workloadName(CriPods.PidNamespace.SHARED_BY_POD));
  }
}

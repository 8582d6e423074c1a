package dev.berth.bench.workload;

import dev.berth.bench.report.Recorder;
import dev.berth.cri.v1.PodSandboxConfig;

/**
 * rootfs: CreateContainer then RemoveContainer, never started, many times in one pod. In Berth
 * that is the rootfs prepare/release path (overlay mount and unmount) plus the container record;
 * in containerd it is a snapshot prepare/remove (containerd mounts only when the task starts).
 */
public final class Rootfs {

  public static final String NAME = "rootfs";

  private final CriPods pods;
  private final BenchOptions options;
  private final Recorder recorder;
  private final String target;

  public Rootfs(CriPods pods, BenchOptions options, Recorder recorder, String target) {
    this.pods = pods;
    this.options = options;
    this.recorder = recorder;
    this.target = target;
  }

  public void run() {
    PodSandboxConfig config = pods.podConfig();
    String sandboxId = pods.runSandbox(config);
    try {
      for (int i = 0; i < options.rootfsContainers(); i++) {
        long t0 = System.nanoTime();
        String id = pods.createContainer(sandboxId, config, "c" + i);
        long t1 = System.nanoTime();
        pods.removeContainer(id);
        long t2 = System.nanoTime();
        recorder.addNanos(target, NAME, "CreateContainer", t1 - t0);
        recorder.addNanos(target, NAME, "RemoveContainer", t2 - t1);
      }
    } finally {
      pods.removeSandbox(sandboxId);
    }
  }
}

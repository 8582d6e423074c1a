package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ContainerFilter;
import dev.berth.cri.v1.ContainerState;
import dev.berth.cri.v1.ContainerStateValue;
import dev.berth.cri.v1.ContainerStatus;
import dev.berth.cri.v1.ExecSyncRequest;
import dev.berth.cri.v1.ExecSyncResponse;
import dev.berth.cri.v1.Int64Value;
import dev.berth.cri.v1.KeyValue;
import dev.berth.cri.v1.LinuxContainerConfig;
import dev.berth.cri.v1.LinuxContainerSecurityContext;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.PodSandboxFilter;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatus;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RemovePodSandboxRequest;
import dev.berth.cri.v1.ReopenContainerLogRequest;
import dev.berth.cri.v1.StopContainerRequest;
import dev.berth.cri.v1.StopPodSandboxRequest;
import dev.berth.runtime.testing.PodTestCase;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pods and containers on real runc, conmon, CNI, overlayfs and cgroups, through the socket. */
@Tag("integration")
@Timeout(300)
class PodLifecycleTest extends PodTestCase {


  @Test
  void podAndContainerRunToCompletionWithTheirLog() throws Exception {
    String pod = env.runPod();
    PodSandboxStatus podStatus = env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus();
    assertEquals(PodSandboxState.SANDBOX_READY, podStatus.getState());
    assertTrue(podStatus.getNetwork().getIp().startsWith(env.subnetPrefix() + "."), podStatus.getNetwork().getIp());

    String id = env.runContainer(pod, env.containerConfig("hello", "sh", "-c",
        "echo hello; echo oops >&2; printf partial").build());
    ContainerStatus status = env.awaitExit(id);
    assertEquals(0, status.getExitCode());
    assertEquals("Completed", status.getReason());
    assertTrue(status.getStartedAt() >= status.getCreatedAt() && status.getFinishedAt() >= status.getStartedAt());

    // stdout and stderr are separate pipes, so only the order within one stream is fixed.
    List<String> lines = env.log(status).lines().toList();
    assertEquals(3, lines.size(), lines.toString());
    lines.forEach(line -> assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ (stdout|stderr) [FP] .*"), line));
    List<String> stdout = lines.stream().filter(l -> l.contains(" stdout ")).map(l -> l.split(" ", 3)[2]).toList();
    List<String> stderr = lines.stream().filter(l -> l.contains(" stderr ")).map(l -> l.split(" ", 3)[2]).toList();
    assertEquals(List.of("F hello", "P partial"), stdout);
    assertEquals(List.of("F oops"), stderr);

    env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    assertNotFound(() -> env.status(id));
    env.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
    env.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(0, env.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder()
        .setFilter(PodSandboxFilter.newBuilder().setId(pod)).build()).getItemsCount());
  }

  @Test
  void exitCodesAreReportedWithTheirReason() throws Exception {
    String pod = env.runPod();
    ContainerStatus failed = env.awaitExit(env.runContainer(pod, env.containerConfig("fail", "sh", "-c", "exit 1").build()));
    assertEquals(1, failed.getExitCode());
    assertEquals("Error", failed.getReason());

    String sleeper = env.runContainer(pod, env.containerConfig("sleeper", "sleep", "600").build());
    assertEquals(ContainerState.CONTAINER_RUNNING, env.status(sleeper).getState());
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(sleeper).setTimeout(0).build());
    ContainerStatus killed = env.status(sleeper);
    assertEquals(ContainerState.CONTAINER_EXITED, killed.getState());
    assertEquals(137, killed.getExitCode());
  }

  @Test
  void stopSendsSigtermFirstAndWaitsForAGracefulExit() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("graceful", "sh", "-c",
        "trap 'echo got-term; exit 3' TERM; while true; do sleep 0.1; done").build());
    Thread.sleep(300);
    env.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(10).build());
    ContainerStatus status = env.status(id);
    assertEquals(3, status.getExitCode());
    assertTrue(env.logLines(status).contains("got-term"), env.log(status));
  }

  @Test
  void execSyncReturnsOutputAndExitCodeAndHonoursTimeouts() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("exec", "sleep", "600").build());
    ExecSyncResponse reply = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("sh", "-c", "echo out; echo err >&2; exit 7")).setTimeout(10).build());
    assertEquals(7, reply.getExitCode());
    assertEquals("out\n", reply.getStdout().toStringUtf8());
    assertEquals("err\n", reply.getStderr().toStringUtf8());

    // The kubelet's timeout 0 means "none".
    assertEquals("no limit\n", env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("echo", "no limit")).build()).getStdout().toStringUtf8());

    StatusRuntimeException timedOut = assertThrows(StatusRuntimeException.class, () -> env.runtime().execSync(
        ExecSyncRequest.newBuilder().setContainerId(id).addAllCmd(List.of("sleep", "30")).setTimeout(1).build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, timedOut.getStatus().getCode());
    ExecSyncResponse ps = env.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("ps")).setTimeout(10).build());
    assertFalse(ps.getStdout().toStringUtf8().contains("sleep 30"), "timed-out exec must be killed:\n"
        + ps.getStdout().toStringUtf8());
  }

  @Test
  void envArgsWorkdirAndUserReachTheProcess() throws Exception {
    String pod = env.runPod();
    ContainerConfig config = env.containerConfig("whoami", "sh", "-c", "echo $GREETING; pwd; id -u; id -g")
        .addEnvs(KeyValue.newBuilder().setKey("GREETING").setValue(ByteString.copyFromUtf8("hi there")))
        .setWorkingDir("/tmp")
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setRunAsUser(Int64Value.newBuilder().setValue(1234))
            .setRunAsGroup(Int64Value.newBuilder().setValue(5678))))
        .build();
    ContainerStatus status = env.awaitExit(env.runContainer(pod, config));
    assertEquals(List.of("hi there", "/tmp", "1234", "5678"), env.logLines(status));
  }

  @Test
  void readOnlyAndPropagatingMountsBehave() throws Exception {
    Path shared = Files.createDirectories(env.dir().resolve("host-data"));
    Files.writeString(shared.resolve("from-host"), "host\n");
    String pod = env.runPod();
    ContainerConfig config = env.containerConfig("mounts", "sh", "-c",
            "cat /ro/from-host; touch /ro/x 2>/dev/null && echo writable || echo readonly; echo c > /rw/from-container")
        .addMounts(dev.berth.cri.v1.Mount.newBuilder().setContainerPath("/ro").setHostPath(shared.toString()).setReadonly(true))
        .addMounts(dev.berth.cri.v1.Mount.newBuilder().setContainerPath("/rw").setHostPath(shared.toString()))
        .build();
    ContainerStatus status = env.awaitExit(env.runContainer(pod, config));
    assertEquals(List.of("host", "readonly"), env.logLines(status));
    assertEquals("c\n", Files.readString(shared.resolve("from-container")));
    assertEquals(2, status.getMountsCount());
  }

  @Test
  void listFiltersByStateSandboxAndLabels() throws Exception {
    String pod = env.runPod();
    String running = env.runContainer(pod, env.containerConfig("listed", "sleep", "600").putLabels("tier", "web").build());
    String created = env.createContainer(pod, env.containerConfig("waiting", "true").build());
    List<String> runningIds = env.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(
            ContainerFilter.newBuilder().setPodSandboxId(pod)
                .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))).build())
        .getContainersList().stream().map(dev.berth.cri.v1.Container::getId).toList();
    assertEquals(List.of(running), runningIds);
    assertEquals(1, env.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(
        ContainerFilter.newBuilder().putLabelSelector("tier", "web").setId(running.substring(0, 12))).build())
        .getContainersCount());
    assertEquals(ContainerState.CONTAINER_CREATED, env.status(created.substring(0, 10)).getState());
  }

  @Test
  void reopenContainerLogStartsANewFile() throws Exception {
    String pod = env.runPod();
    String id = env.runContainer(pod, env.containerConfig("rotating", "sh", "-c",
        "while true; do echo tick; sleep 0.2; done").build());
    Path log = Path.of(env.status(id).getLogPath());
    Thread.sleep(500);
    Files.move(log, log.resolveSibling("rotating.log.1"));
    env.runtime().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
    Thread.sleep(700);
    assertTrue(Files.exists(log) && Files.readString(log).contains("stdout F tick"), "a new log file is written");
  }

  static void assertNotFound(Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
  }
}

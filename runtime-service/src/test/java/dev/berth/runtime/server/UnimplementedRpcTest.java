package dev.berth.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.berth.cri.v1.CriProto;
import dev.berth.runtime.testing.DaemonProcess;
import dev.berth.runtime.testing.ShortTempDirs;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Until their issues land, every RPC but the runtime-info ones answers UNIMPLEMENTED naming
 * itself. Driven by the contract's descriptors, so a method can't be forgotten.
 */
@Tag("integration")
@Timeout(120)
class UnimplementedRpcTest {

  /** RPCs that work now; this set grows as issues land. */
  private static final Set<String> IMPLEMENTED = Set.of(
      "runtime.v1.RuntimeService/Version",
      "runtime.v1.RuntimeService/Status",
      "runtime.v1.RuntimeService/RuntimeConfig",
      "runtime.v1.RuntimeService/UpdateRuntimeConfig",
      "runtime.v1.RuntimeService/RunPodSandbox",
      "runtime.v1.RuntimeService/StopPodSandbox",
      "runtime.v1.RuntimeService/RemovePodSandbox",
      "runtime.v1.RuntimeService/PodSandboxStatus",
      "runtime.v1.RuntimeService/ListPodSandbox",
      "runtime.v1.RuntimeService/CreateContainer",
      "runtime.v1.RuntimeService/StartContainer",
      "runtime.v1.RuntimeService/StopContainer",
      "runtime.v1.RuntimeService/RemoveContainer",
      "runtime.v1.RuntimeService/ListContainers",
      "runtime.v1.RuntimeService/ContainerStatus",
      "runtime.v1.RuntimeService/ExecSync",
      "runtime.v1.RuntimeService/ReopenContainerLog",
      "runtime.v1.RuntimeService/UpdateContainerResources",
      "runtime.v1.RuntimeService/UpdatePodSandboxResources",
      "runtime.v1.RuntimeService/Exec",
      "runtime.v1.RuntimeService/Attach",
      "runtime.v1.RuntimeService/PortForward",
      "runtime.v1.RuntimeService/ContainerStats",
      "runtime.v1.RuntimeService/ListContainerStats",
      "runtime.v1.RuntimeService/PodSandboxStats",
      "runtime.v1.RuntimeService/ListPodSandboxStats",
      "runtime.v1.RuntimeService/ListMetricDescriptors",
      "runtime.v1.RuntimeService/ListPodSandboxMetrics",
      "runtime.v1.RuntimeService/StreamPodSandboxes",
      "runtime.v1.RuntimeService/StreamContainers",
      "runtime.v1.RuntimeService/StreamContainerStats",
      "runtime.v1.RuntimeService/StreamPodSandboxStats",
      "runtime.v1.RuntimeService/StreamPodSandboxMetrics",
      "runtime.v1.RuntimeService/GetContainerEvents",
      "runtime.v1.RuntimeService/CheckpointContainer",
      "runtime.v1.ImageService/StreamImages",
      "runtime.v1.ImageService/ListImages",
      "runtime.v1.ImageService/ImageStatus",
      "runtime.v1.ImageService/PullImage",
      "runtime.v1.ImageService/RemoveImage",
      "runtime.v1.ImageService/ImageFsInfo");

  // Short: attach sockets live below the daemon's state directory.
  @TempDir(factory = ShortTempDirs.class)
  Path dir;

  @Test
  void everyOtherRpcAnswersUnimplementedNamingTheRpc() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start(dir)) {
      List<String> checked = new ArrayList<>();
      for (ServiceDescriptor service : CriProto.getDescriptor().getServices()) {
        for (MethodDescriptor method : service.getMethods()) {
          String fullName = service.getFullName() + "/" + method.getName();
          if (IMPLEMENTED.contains(fullName)) {
            continue;
          }
          Status status = callWithEmptyRequest(daemon, method, fullName);
          assertEquals(Status.Code.UNIMPLEMENTED, status.getCode(), fullName + ": " + status);
          assertTrue(status.getDescription().contains(fullName), status.getDescription());
          checked.add(fullName);
        }
      }
      // 35 RuntimeService and 6 ImageService methods in the contract.
      assertEquals(41 - IMPLEMENTED.size(), checked.size(), checked.toString());
    }
  }

  private static Status callWithEmptyRequest(DaemonProcess daemon, MethodDescriptor method, String fullName) {
    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod =
        io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
            .setType(method.isServerStreaming() ? MethodType.SERVER_STREAMING : MethodType.UNARY)
            .setFullMethodName(fullName)
            .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
            .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
            .build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    DynamicMessage request = DynamicMessage.getDefaultInstance(method.getInputType());
    try {
      if (method.isServerStreaming()) {
        Iterator<DynamicMessage> replies =
            ClientCalls.blockingServerStreamingCall(daemon.client().channel(), grpcMethod, options, request);
        replies.hasNext();
      } else {
        ClientCalls.blockingUnaryCall(daemon.client().channel(), grpcMethod, options, request);
      }
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    fail(fullName + " answered without error");
    return null;
  }
}

package dev.berth.runtime.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.berth.cri.v1.CriProto;
import dev.berth.cri.v1.ContainerConfig;
import dev.berth.cri.v1.ImageSpec;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.PodSandboxState;
import dev.berth.cri.v1.PodSandboxStatusRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.VersionRequest;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of random and boundary CRI requests through the socket (a seeded generator, so a
 * failure can be replayed): the daemon never dies, answers every call with a deliberate status
 * (never UNKNOWN, the mark of an uncaught exception), and its records still load after a restart.
 */
@org.junit.jupiter.api.Tag("integration")
@Timeout(600)
class CriFuzzTest extends PodTestCase {

  /** Calls that would leave the machine (registry pulls) or never end (the event stream). */
  private static final Set<String> SKIPPED = Set.of("PullImage", "GetContainerEvents", "CheckpointContainer");
  private static final long SEED = 20261125L;
  private static final int ROUNDS = 12;

  @Test
  void randomRequestsGetDeliberateAnswersAndLeaveLoadableState() throws Exception {
    RandomRequests requests = new RandomRequests(SEED, env.dir());
    Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
    List<String> undeliberate = new ArrayList<>();
    int calls = 0;
    for (int round = 0; round < ROUNDS; round++) {
      for (ServiceDescriptor service : CriProto.getDescriptor().getServices()) {
        for (MethodDescriptor method : service.getMethods()) {
          if (SKIPPED.contains(method.getName())) {
            continue;
          }
          for (int i = 0; i < 5; i++) {
            DynamicMessage request = requests.message(method.getInputType(), 0);
            Status status = call(service, method, request);
            Status.Code code = status.getCode();
            codes.merge(code, 1, Integer::sum);
            calls++;
            if (code == Status.Code.UNKNOWN || code == Status.Code.UNAVAILABLE) {
              undeliberate.add(method.getName() + " -> " + code + " for " + shorten(request));
            }
            if (status.getDescription() != null && JAVA_CLASS_NAME.matcher(status.getDescription()).find()) {
              undeliberate.add(method.getName() + " -> " + status + " for " + shorten(request));
            }
          }
        }
      }
      assertTrue(env.daemon().process().isAlive(), "daemon died in round " + round);
    }
    System.out.println("berth-fuzz: " + calls + " calls, answers " + codes);
    assertEquals(List.of(), undeliberate);
    assertTrue(calls > 2000, "calls: " + calls);

    env.removeAllPods();
    env.restartAfterKill();
    assertEquals("berth", env.daemon().client().runtime(java.time.Duration.ofSeconds(10))
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
    assertTrue(!env.daemon().output().contains("unreadable"), "a record on disk was corrupted:\n"
        + env.daemon().output());
  }

  /**
   * CreateContainer in a valid pod with a valid config but for the image: every hostile
   * reference is answered with the code that says what was wrong (a malformed reference, an
   * image not found, a checkpoint restore this Berth cannot do), never INTERNAL or UNKNOWN; the
   * daemon lives, leaves no container behind for a refused create, and its records load again.
   */
  @Test
  void createContainerWithHostileImageReferencesGetsProperCodes() throws Exception {
    RandomRequests requests = new RandomRequests(SEED + 1, env.dir());
    String pod = env.runPod(env.podConfig("fuzz-images").build());
    Set<Status.Code> proper = Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND,
        Status.Code.FAILED_PRECONDITION);
    Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
    List<String> improper = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String reference = requests.imageReference();
      ContainerConfig config = env.containerConfig("img" + i, "true")
          .setImage(ImageSpec.newBuilder().setImage(reference)).build();
      Status status;
      try {
        String id = env.createContainer(pod, config);
        env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        status = Status.OK;
      } catch (StatusRuntimeException e) {
        status = e.getStatus();
      }
      codes.merge(status.getCode(), 1, Integer::sum);
      if (!proper.contains(status.getCode())) {
        improper.add(shorten(reference) + " -> " + status);
      }
      if (status.getDescription() != null && JAVA_CLASS_NAME.matcher(status.getDescription()).find()) {
        improper.add(shorten(reference) + " -> a Java class name in " + status);
      }
    }
    System.out.println("berth-fuzz image references: answers " + codes);
    assertEquals(List.of(), improper);
    assertTrue(codes.getOrDefault(Status.Code.INVALID_ARGUMENT, 0) > 100, "answers: " + codes);
    assertTrue(env.daemon().process().isAlive());
    assertEquals(0, env.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());

    env.restartAfterKill();
    assertEquals("berth", env.daemon().client().runtime(java.time.Duration.ofSeconds(10))
        .version(VersionRequest.getDefaultInstance()).getRuntimeName());
    assertEquals(PodSandboxState.SANDBOX_READY, env.runtime().podSandboxStatus(
        PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build()).getStatus().getState());
    assertTrue(!env.daemon().output().contains("unreadable"), "a record on disk was corrupted:\n"
        + env.daemon().output());
  }

  /** An exception's class name in a description: an uncaught failure, not an answer. */
  private static final java.util.regex.Pattern JAVA_CLASS_NAME =
      java.util.regex.Pattern.compile("\\b(?:java|javax|sun|com|io|dev|org)\\.[\\w.]*(?:Exception|Error)\\b");

  private static Status call(ServiceDescriptor service, MethodDescriptor method, DynamicMessage request) {
    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod =
        io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
            .setType(method.isServerStreaming() ? MethodType.SERVER_STREAMING : MethodType.UNARY)
            .setFullMethodName(service.getFullName() + "/" + method.getName())
            .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
            .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
            .build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
    try {
      if (method.isServerStreaming()) {
        Iterator<DynamicMessage> replies =
            ClientCalls.blockingServerStreamingCall(env.daemon().client().channel(), grpcMethod, options, request);
        replies.forEachRemaining(reply -> { });
      } else {
        ClientCalls.blockingUnaryCall(env.daemon().client().channel(), grpcMethod, options, request);
      }
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  private static String shorten(Object request) {
    String text = request.toString().replace('\n', ' ');
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }
}

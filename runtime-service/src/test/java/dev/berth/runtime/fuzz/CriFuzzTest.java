package dev.berth.runtime.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.berth.cri.v1.CriProto;
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
@Tag("integration")
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
            Status.Code code = call(service, method, request);
            codes.merge(code, 1, Integer::sum);
            calls++;
            if (code == Status.Code.UNKNOWN || code == Status.Code.UNAVAILABLE) {
              undeliberate.add(method.getName() + " -> " + code + " for " + shorten(request));
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

  private static Status.Code call(ServiceDescriptor service, MethodDescriptor method, DynamicMessage request) {
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
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static String shorten(DynamicMessage request) {
    String text = request.toString().replace('\n', ' ');
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }
}

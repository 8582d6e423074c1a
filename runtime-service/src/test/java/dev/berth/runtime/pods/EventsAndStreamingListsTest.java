package dev.berth.runtime.pods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.cri.v1.ContainerEventResponse;
import dev.berth.cri.v1.ContainerEventType;
import dev.berth.cri.v1.GetEventsRequest;
import dev.berth.cri.v1.ListContainersRequest;
import dev.berth.cri.v1.ListPodSandboxRequest;
import dev.berth.cri.v1.RemoveContainerRequest;
import dev.berth.cri.v1.RuntimeServiceGrpc;
import dev.berth.cri.v1.StreamContainersRequest;
import dev.berth.cri.v1.StreamContainersResponse;
import dev.berth.cri.v1.StreamPodSandboxesRequest;
import dev.berth.cri.v1.StreamPodSandboxesResponse;
import dev.berth.runtime.testing.PodTestCase;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GetContainerEvents during a lifecycle, and the streaming list calls against their unary twins. */
@Tag("integration")
@Timeout(180)
class EventsAndStreamingListsTest extends PodTestCase {

  @Test
  void aContainerLifecycleIsStreamedAsEventsWithThePodsStatus() throws Exception {
    String pod = env.runPod();
    LinkedBlockingQueue<ContainerEventResponse> received = new LinkedBlockingQueue<>();
    Context.CancellableContext subscription = Context.current().withCancellation();
    subscription.run(() -> RuntimeServiceGrpc.newStub(env.daemon().client().channel())
        .getContainerEvents(GetEventsRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(ContainerEventResponse event) {
            received.add(event);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        }));
    try {
      Thread.sleep(300);
      String id = env.runContainer(pod, env.containerConfig("evented", "sh", "-c", "exit 0").build());
      env.awaitExit(id);
      env.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());

      List<ContainerEventType> types = new ArrayList<>();
      while (types.size() < 4) {
        ContainerEventResponse event = received.poll(20, TimeUnit.SECONDS);
        if (event == null) {
          break;
        }
        if (!event.getContainerId().equals(id)) {
          continue;
        }
        types.add(event.getContainerEventType());
        assertEquals(pod, event.getPodSandboxStatus().getId());
        assertTrue(event.getCreatedAt() > 0);
        if (event.getContainerEventType() == ContainerEventType.CONTAINER_STOPPED_EVENT) {
          assertTrue(event.getContainersStatusesList().stream().anyMatch(s -> s.getId().equals(id)
              && s.getState() == dev.berth.cri.v1.ContainerState.CONTAINER_EXITED), event.toString());
        }
      }
      assertEquals(List.of(ContainerEventType.CONTAINER_CREATED_EVENT, ContainerEventType.CONTAINER_STARTED_EVENT,
          ContainerEventType.CONTAINER_STOPPED_EVENT, ContainerEventType.CONTAINER_DELETED_EVENT), types);
    } finally {
      subscription.cancel(null);
    }
  }

  @Test
  void streamingListsAnswerWhatTheUnaryListsAnswer() {
    String pod = env.runPod();
    for (int i = 0; i < 3; i++) {
      env.createContainer(pod, env.containerConfig("listed-" + i, "true").build());
    }
    List<String> unaryPods = env.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()
        .stream().map(p -> p.getId()).sorted().toList();
    List<String> streamedPods = new ArrayList<>();
    Iterator<StreamPodSandboxesResponse> pages = env.runtime().streamPodSandboxes(StreamPodSandboxesRequest.getDefaultInstance());
    pages.forEachRemaining(page -> page.getPodSandboxesList().forEach(p -> streamedPods.add(p.getId())));
    assertEquals(unaryPods, streamedPods.stream().sorted().toList());

    List<String> unaryContainers = env.runtime().listContainers(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().map(c -> c.getId()).sorted().toList();
    List<String> streamedContainers = new ArrayList<>();
    Iterator<StreamContainersResponse> containerPages = env.runtime().streamContainers(StreamContainersRequest.getDefaultInstance());
    containerPages.forEachRemaining(page -> page.getContainersList().forEach(c -> streamedContainers.add(c.getId())));
    assertEquals(unaryContainers, streamedContainers.stream().sorted().toList());
    assertTrue(streamedContainers.size() >= 3);
  }
}

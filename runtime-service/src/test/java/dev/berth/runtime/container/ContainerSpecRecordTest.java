package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The user's image name in the container record, and records written before Berth kept it. */
class ContainerSpecRecordTest {

  /** As RecordStore reads records. */
  private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static ContainerSpec spec(String image, String userSpecifiedImage) {
    return new ContainerSpec("app", 0, image, "sha256:" + "a".repeat(64), "sha256:" + "a".repeat(64), List.of("sh"),
        List.of(), "/", 0, 0, List.of(), List.of(), List.of(), Map.of(), Map.of(), "", false, false, false, "SIGTERM",
        LinuxResources.NONE, userSpecifiedImage);
  }

  @Test
  void theUsersNameIsWhatAPersonReadsWhenTheKubeletSentOne() {
    String id = "sha256:" + "a".repeat(64);
    assertEquals("nginx:1.27", spec(id, "nginx:1.27").displayImage());
    assertEquals("docker.io/library/busybox:latest", spec("docker.io/library/busybox:latest", "").displayImage());
  }

  @Test
  void aRecordWrittenBeforeTheFieldExistedLoadsWithTheRequestedImage() throws Exception {
    ObjectNode saved = JSON.valueToTree(spec("docker.io/library/busybox:latest", "busybox"));
    assertEquals("busybox", saved.get("userSpecifiedImage").asText());
    saved.remove("userSpecifiedImage");

    ContainerSpec loaded = JSON.treeToValue(saved, ContainerSpec.class);

    assertEquals("", loaded.userSpecifiedImage());
    assertEquals("docker.io/library/busybox:latest", loaded.displayImage());
  }

  @Test
  void theNameSurvivesAResourceUpdate() {
    Container container = new Container("c".repeat(64), "p".repeat(64), spec("sha256:" + "a".repeat(64), "nginx"),
        ContainerState.RUNNING, 1, 2, 0, 0, "", "", 42);
    Container updated = container.withResources(new LinuxResources(100_000, 50_000, 512, 0, 0, "", "", 0, List.of()));
    assertEquals("nginx", updated.spec().userSpecifiedImage());
    assertFalse(updated.spec().resources().equals(container.spec().resources()));
  }
}

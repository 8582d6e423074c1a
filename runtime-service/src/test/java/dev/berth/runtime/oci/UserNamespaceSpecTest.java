package dev.berth.runtime.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The spec of a container joining its pod's pinned user namespace, as runc 1.1 needs it. */
class UserNamespaceSpecTest {

  private static final UserNamespaceMapping POD = new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536),
      new IdMapping(0, 4_000_000, 65536));

  private static JsonNode spec() {
    return new OciSpecBuilder(Path.of("/staging/pod/ctr/rootfs"), false)
        .namespaces(new NamespacePlan("/state/netns/pod", NamespacePlan.NEW, "/state/podns/pod/ipc",
            "/state/podns/pod/uts"))
        .userNamespace("/state/podns/pod/user", POD)
        .build();
  }

  @Test
  void theUserNamespaceIsJoinedFirstByPath() {
    JsonNode namespaces = spec().path("linux").path("namespaces");
    assertEquals("user", namespaces.get(0).path("type").asText());
    assertEquals("/state/podns/pod/user", namespaces.get(0).path("path").asText());
    assertEquals(6, namespaces.size());
    assertEquals("/state/netns/pod", namespaces.findParents("type").stream()
        .filter(n -> n.path("type").asText().equals("network")).findFirst().orElseThrow().path("path").asText());
  }

  @Test
  void theMappingsAreInTheSpecTooForRuncToOwnItsFilesByThem() {
    JsonNode linux = spec().path("linux");
    assertEquals(1, linux.path("uidMappings").size());
    assertEquals(0, linux.path("uidMappings").get(0).path("containerID").asLong());
    assertEquals(3_000_000, linux.path("uidMappings").get(0).path("hostID").asLong());
    assertEquals(65536, linux.path("uidMappings").get(0).path("size").asLong());
    assertEquals(4_000_000, linux.path("gidMappings").get(0).path("hostID").asLong());
  }
}

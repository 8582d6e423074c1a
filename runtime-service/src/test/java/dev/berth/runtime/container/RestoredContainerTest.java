package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpecJson;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoredContainerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path PODS = Path.of("/run/berth/pods");

  /** The parts of a checkpointed config.json that name the old pod, and some that do not. */
  private static final String ARCHIVED = """
      {"ociVersion": "1.0.2", "process": {"args": ["sh", "-c", "count"], "user": {"uid": 1000, "gid": 1000}},
       "root": {"path": "/var/lib/berth/containers/old/bundle/rootfs", "readonly": true},
       "hostname": "old-pod",
       "mounts": [
         {"destination": "/proc", "type": "proc", "source": "proc"},
         {"destination": "/etc/hosts", "type": "bind", "source": "/run/berth/pods/oldpod/hosts", "options": ["rbind"]},
         {"destination": "/dev/shm", "type": "bind", "source": "/run/berth/pods/oldpod/shm", "options": ["rbind"]},
         {"destination": "/etc/resolv.conf", "type": "bind", "source": "/srv/my-resolv.conf", "options": ["rbind"]},
         {"destination": "/data", "type": "bind", "source": "/srv/volume", "options": ["rbind"]}],
       "linux": {"cgroupsPath": "/kubepods/oldpod/old",
         "namespaces": [{"type": "pid"}, {"type": "mount"},
           {"type": "network", "path": "/run/berth/netns/oldpod"},
           {"type": "ipc", "path": "/run/berth/podns/oldpod/ipc"},
           {"type": "uts", "path": "/run/berth/podns/oldpod/uts"}],
         "resources": {"memory": {"limit": 1048576}}}}
      """;

  private static RestoredContainer.PodPlace newPod(String ipc) {
    NamespacePlan namespaces = new NamespacePlan("/run/berth/netns/newpod", NamespacePlan.NEW, ipc,
        "/run/berth/podns/newpod/uts");
    return new RestoredContainer.PodPlace(Path.of("/var/lib/berth/containers/new/bundle/rootfs"),
        "/kubepods/newpod/new", namespaces,
        Map.of("/etc/hosts", PODS.resolve("newpod/hosts"), "/dev/shm", PODS.resolve("newpod/shm"),
            "/etc/resolv.conf", PODS.resolve("newpod/resolv.conf")), PODS);
  }

  private static ObjectNode retarget(String ipc) throws Exception {
    return (ObjectNode) JSON.readTree(OciSpecJson.text(
        RestoredContainer.retarget(OciSpecJson.parse(ARCHIVED), newPod(ipc))));
  }

  @Test
  void theRootfsAndCgroupAreTheNewContainers() throws Exception {
    ObjectNode config = retarget("/run/berth/podns/newpod/ipc");
    assertEquals("/var/lib/berth/containers/new/bundle/rootfs", config.at("/root/path").asText());
    assertEquals(true, config.at("/root/readonly").asBoolean());
    assertEquals("/kubepods/newpod/new", config.at("/linux/cgroupsPath").asText());
  }

  @Test
  void joinedNamespacesBecomeTheNewPodsAndOwnOnesStayOwn() throws Exception {
    ObjectNode config = retarget("/run/berth/podns/newpod/ipc");
    assertEquals(JSON.readTree("""
        [{"type": "pid"}, {"type": "mount"},
         {"type": "network", "path": "/run/berth/netns/newpod"},
         {"type": "ipc", "path": "/run/berth/podns/newpod/ipc"},
         {"type": "uts", "path": "/run/berth/podns/newpod/uts"}]"""), config.at("/linux/namespaces"));
  }

  @Test
  void aNamespaceTheNewPodTakesFromTheNodeIsLeftOut() throws Exception {
    JsonNode namespaces = retarget(NamespacePlan.HOST).at("/linux/namespaces");
    assertEquals(List.of("pid", "mount", "network", "uts"),
        namespaces.findValuesAsText("type"));
  }

  @Test
  void podFilesComeFromTheNewPodAndVolumesStay() throws Exception {
    ObjectNode config = retarget("/run/berth/podns/newpod/ipc");
    Map<String, String> sources = new HashMap<>();
    config.path("mounts").forEach(m -> sources.put(m.path("destination").asText(), m.path("source").asText()));
    assertEquals(Map.of("/proc", "proc", "/etc/hosts", "/run/berth/pods/newpod/hosts",
        "/dev/shm", "/run/berth/pods/newpod/shm",
        // The kubelet mounted its own file there: a volume, not the old pod's.
        "/etc/resolv.conf", "/srv/my-resolv.conf", "/data", "/srv/volume"), sources);
  }

  @Test
  void theProcessAndResourcesAreAsCheckpointed() throws Exception {
    ObjectNode config = retarget("/run/berth/podns/newpod/ipc");
    JsonNode archived = JSON.readTree(ARCHIVED);
    assertEquals(archived.get("process"), config.get("process"));
    assertEquals(archived.at("/linux/resources"), config.at("/linux/resources"));
  }
}

package dev.berth.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.oci.OciSpecJson;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which pods may take a spare infra, and that a spare is made exactly as such a pod's own infra
 * would be: the only differences a pod sees are set when it takes one (hostname, cgroup).
 */
class SpareInfraSpecTest {

  private static final Path ROOTFS = Path.of("/var/lib/berth/infra-rootfs");

  private static SandboxSpec pod(String hostname, boolean hostNetwork, boolean hostPid, boolean hostIpc,
      Map<String, String> sysctls, String handler, UserNamespaceMapping userNamespace) {
    return new SandboxSpec(new PodName("web", "5f0a-uid", "default", 0), hostname, "/var/log/pods/web", List.of(),
        List.of(), List.of(), List.of(), Map.of(), Map.of(), "/kubepods/besteffort/pod5f0a", hostNetwork, hostPid,
        hostIpc, true, sysctls, handler, userNamespace);
  }

  private static SandboxSpec sharedPidPod() {
    return pod("web-0", false, false, false, Map.of(), "", null);
  }

  @Test
  void aSharedPidPodOnTheDefaultHandlerFits() {
    assertTrue(SpareInfras.fits(sharedPidPod()));
    assertTrue(SpareInfras.fits(pod("", false, false, false, Map.of(), "", null)), "no hostname: the node's");
  }

  @Test
  void aPodWhoseInfraDiffersInWhatRuncSetsAtCreationDoesNotFit() {
    assertFalse(SpareInfras.fits(pod("web-0", true, false, false, Map.of(), "", null)), "host network");
    assertFalse(SpareInfras.fits(pod("web-0", false, true, false, Map.of(), "", null)), "host PID");
    assertFalse(SpareInfras.fits(pod("web-0", false, false, true, Map.of(), "", null)), "host IPC");
    assertFalse(SpareInfras.fits(pod("web-0", false, false, false, Map.of("kernel.shm_rmid_forced", "1"), "", null)),
        "sysctls");
    assertFalse(SpareInfras.fits(pod("web-0", false, false, false, Map.of(), "crun", null)), "another handler");
    assertFalse(SpareInfras.fits(pod("web-0", false, false, false, Map.of(), "",
        new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536), new IdMapping(0, 4_000_000, 65536)))),
        "its own user namespace");
  }

  @Test
  void theDaemonsNiceIsReadFromItsStatLine() {
    // A command with spaces and a parenthesis of its own, as /proc shows it; nice is field 19.
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 50 20 0 0 20 -5 40 0 123 456 789";
    assertEquals(-5, SpareInfras.niceOf(stat));
  }

  @Test
  void aSpareIsTheInfraOfAFittingPodWithoutAHostname() throws Exception {
    String spare = OciSpecJson.text(InfraOciSpec.spare(ROOTFS, "/run/berth/spare-infras/netns/5f0a",
        "/berth/spare-infras/5f0a", -998));
    String own = OciSpecJson.text(InfraOciSpec.of(pod("", false, false, false, Map.of(), "", null), ROOTFS, "web-0",
        "/run/berth/spare-infras/netns/5f0a", "/berth/spare-infras/5f0a", -998, NamespacePlan.HOST));

    assertEquals(own, spare);
  }
}

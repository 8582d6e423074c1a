package dev.berth.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.netns.PodNamespacePins;
import dev.berth.runtime.oci.NamespacePlan;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The infra-or-pins choice and what each answers, without root: nothing here is created. */
class PodNamespacesTest {

  private static final String ID = "b".repeat(64);

  @TempDir
  Path dir;

  /** Made of nothing it would run: only what it answers is asked here. */
  private final InfraProcess infra = new InfraProcess(null, null, id -> Path.of("/nowhere", id), Path.of("/nowhere"), 0,
      new PodNamespacePins(Path.of("/nowhere/podns")), null);

  private PinnedNamespaces pinned() {
    return new PinnedNamespaces(new PodNamespacePins(dir.resolve("podns")), new NetworkNamespaces(dir.resolve("netns")),
        null, null);
  }

  private static SandboxSpec spec(boolean sharedPid, boolean hostPid, Map<String, String> sysctls) {
    return spec(sharedPid, hostPid, sysctls, null);
  }

  private static SandboxSpec spec(boolean sharedPid, boolean hostPid, Map<String, String> sysctls,
      UserNamespaceMapping userNamespace) {
    return new SandboxSpec(new PodName("web", "uid-1", "default", 0), "web", "", List.of(), List.of(), List.of(),
        List.of(), Map.of(), Map.of(), "", false, hostPid, false, sharedPid, sysctls, "", userNamespace);
  }

  private static Sandbox sandbox(long infraPid) {
    return new Sandbox(ID, spec(false, false, Map.of()), SandboxState.READY, 1, "", List.of(), "/berth/" + ID,
        infraPid);
  }

  /** A pod with a user namespace of its own (userns_options mode POD). */
  private static Sandbox ownUserNamespace(long infraPid) {
    return new Sandbox(ID, spec(false, false, Map.of(), new UserNamespaceMapping(new IdMapping(0, 3_000_000, 65536),
        new IdMapping(0, 4_000_000, 65536))), SandboxState.READY, 1, "", List.of(), "/berth/" + ID, infraPid);
  }

  @Test
  void aPodThatSharesNothingNeedsNoInfra() {
    PinnedNamespaces pinned = pinned();
    PodNamespaceChoice choice = new PodNamespaceChoice(BerthConfig.InfraContainer.WHEN_NEEDED, infra, pinned);

    assertSame(pinned, choice.forNew(spec(false, false, Map.of())));
    assertSame(pinned, choice.forNew(spec(true, true, Map.of())), "sharing the host's PID namespace needs no reaper");
    assertSame(infra, choice.forNew(spec(true, false, Map.of())), "a shared PID namespace needs its pid 1");
    assertSame(infra, choice.forNew(spec(false, false, Map.of("kernel.shm_rmid_forced", "1"))),
        "runc writes sysctls as it creates the infra");
  }

  @Test
  void alwaysGivesEveryPodAnInfra() {
    PodNamespaceChoice choice = new PodNamespaceChoice(BerthConfig.InfraContainer.ALWAYS, infra, pinned());

    assertSame(infra, choice.forNew(spec(false, false, Map.of())));
  }

  @Test
  void theChoiceIsReadBackFromTheRecord() {
    PinnedNamespaces pinned = pinned();
    PodNamespaceChoice choice = new PodNamespaceChoice(BerthConfig.InfraContainer.ALWAYS, infra, pinned);

    assertSame(infra, choice.of(sandbox(4242)));
    assertSame(pinned, choice.of(sandbox(0)), "a pod run without an infra keeps its pins whatever the mode is now");
    assertEquals(List.of(infra, pinned), choice.all());
  }

  @Test
  void containersJoinTheInfrasNamespacesThroughProc() {
    assertEquals("/proc/4242/ns/ipc", infra.joinPath(sandbox(4242), PodNamespace.IPC));
    assertEquals("/proc/4242/ns/uts", infra.joinPath(sandbox(4242), PodNamespace.UTS));
    assertEquals("/proc/4242/ns/pid", infra.joinPath(sandbox(4242), PodNamespace.PID));
    assertTrue(infra.hasShim());
    assertEquals(4242, infra.holderPid(sandbox(4242)));
  }

  @Test
  void containersJoinThePinsByPathAndShareNoPidNamespace() {
    PinnedNamespaces pinned = pinned();

    assertEquals(dir.resolve("podns").resolve(ID).resolve("ipc").toString(), pinned.joinPath(sandbox(0),
        PodNamespace.IPC));
    assertEquals(dir.resolve("podns").resolve(ID).resolve("uts").toString(), pinned.joinPath(sandbox(0),
        PodNamespace.UTS));
    assertEquals(NamespacePlan.NEW, pinned.joinPath(sandbox(0), PodNamespace.PID));
    assertFalse(pinned.hasShim());
    assertTrue(pinned.holderAlive(sandbox(0)), "no process to die: the shim monitor never settles such a pod");
    assertEquals(0, pinned.holderPid(sandbox(0)));
  }

  @Test
  void aPodsOwnUserNamespaceIsJoinedByItsPinWithOrWithoutAnInfra() {
    assertEquals("/nowhere/podns/" + ID + "/user", infra.joinPath(ownUserNamespace(4242), PodNamespace.USER),
        "the infra runs in the pinned one too");
    assertEquals(dir.resolve("podns").resolve(ID).resolve("user").toString(),
        pinned().joinPath(ownUserNamespace(0), PodNamespace.USER));
  }

  @Test
  void aPodInTheNodesUserNamespaceJoinsNone() {
    assertEquals(NamespacePlan.HOST, infra.joinPath(sandbox(4242), PodNamespace.USER));
    assertEquals(NamespacePlan.HOST, pinned().joinPath(sandbox(0), PodNamespace.USER));
  }

  @Test
  void aPodWhosePinsAreGoneIsNotAlive() {
    assertFalse(pinned().alive(sandbox(0)));
  }

  @Test
  void namespacesAreNamedAsProcNamesThem() {
    assertEquals(PodNamespace.IPC, PodNamespace.named("ipc"));
    assertEquals(PodNamespace.PID, PodNamespace.named("pid"));
    assertEquals(PodNamespace.USER, PodNamespace.named("user"));
    assertThrows(IllegalArgumentException.class, () -> PodNamespace.named("net"));
  }
}

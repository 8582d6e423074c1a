package dev.berth.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.config.BerthConfig;
import dev.berth.runtime.model.ReleaseStep;
import dev.berth.runtime.model.Undo;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PodReleaseTest {

  private static final String ID = "a".repeat(64);

  private final FakePodNode node = new FakePodNode();
  private final PodNamespaces pinned = node.namespaces("pins");
  private final PodNamespaces infra = node.namespaces("infra");
  private final PodRelease release = new PodRelease(node,
      new PodNamespaceChoice(BerthConfig.InfraContainer.WHEN_NEEDED, infra, pinned));

  private static SandboxSpec spec(boolean hostNetwork) {
    return new SandboxSpec(new PodName("web", "uid-1", "default", 0), "web", "/var/log/pods/web", List.of(),
        List.of(), List.of(), List.of(), Map.of(), Map.of(), "", hostNetwork, false, false, false, Map.of(), "", null);
  }

  private static Sandbox sandbox(boolean hostNetwork) {
    return new Sandbox(ID, spec(hostNetwork), SandboxState.READY, 1, hostNetwork ? "" : "/run/berth/netns/" + ID,
        List.of("10.1.0.2"), "/berth/" + ID, 0);
  }

  @Test
  void removalReleasesEveryPartInOneOrderWithTheDirectoryLast() {
    node.holding("pod files", "pins", "CNI DEL web", "netns", "cgroup /berth/" + ID, "directory");

    List<String> failures = release.onRemove(PodRelease.Target.of(sandbox(false), pinned)).run();

    assertEquals(List.of(), failures);
    assertEquals(List.of("pod files", "pins", "CNI DEL web", "netns", "cgroup /berth/" + ID, "directory"), node.calls);
    assertEquals(Set.of(), node.held);
  }

  @Test
  void removingTwiceSucceedsAndRunsTheSameSteps() {
    node.holding("pod files", "pins", "CNI DEL web", "netns", "cgroup /berth/" + ID, "directory");
    PodRelease.Target pod = PodRelease.Target.of(sandbox(false), pinned);

    assertEquals(List.of(), release.onRemove(pod).run());
    List<String> first = List.copyOf(node.calls);
    node.calls.clear();
    assertEquals(List.of(), release.onRemove(pod).run());

    assertEquals(first, node.calls);
    assertEquals(Set.of(), node.held);
  }

  @Test
  void aFailingStepDoesNotSkipTheLaterOnesButKeepsTheRecord() {
    node.holding("pod files", "pins", "CNI DEL web", "netns", "cgroup /berth/" + ID, "directory");
    node.failing.add("CNI DEL web");

    List<String> failures = release.onRemove(PodRelease.Target.of(sandbox(false), pinned)).run();

    assertEquals(List.of("CNI DEL: CNI DEL web refused"), failures);
    assertEquals(List.of("pod files", "pins", "CNI DEL web", "netns", "cgroup /berth/" + ID), node.calls);
    assertEquals(Set.of("CNI DEL web", "directory"), node.held, "the record stays for the retry");

    node.failing.clear();
    node.calls.clear();
    assertEquals(List.of(), release.onRemove(PodRelease.Target.of(sandbox(false), pinned)).run());
    assertEquals(Set.of(), node.held, "the retry finishes it");
  }

  @Test
  void stopReleasesWhatRunsAndTheNetworkButKeepsCgroupAndRecord() {
    node.holding("pod files", "infra", "CNI DEL web", "netns", "cgroup /berth/" + ID, "directory");

    List<String> failures = release.onStop(PodRelease.Target.of(sandbox(false), infra)).run();

    assertEquals(List.of(), failures);
    assertEquals(List.of("pod files", "infra", "CNI DEL web", "netns"), node.calls);
    assertEquals(Set.of("cgroup /berth/" + ID, "directory"), node.held);
  }

  @Test
  void aPodOnTheHostNetworkHasNoNetworkToRelease() {
    release.onRemove(PodRelease.Target.of(sandbox(true), pinned)).run();

    assertEquals(List.of("pod files", "pins", "cgroup /berth/" + ID, "directory"), node.calls);
  }

  /** A pod in the cgroup the kubelet named for it, with an infra (a shared PID namespace) or without. */
  private static Sandbox inKubeletCgroup(boolean sharedPid) {
    return new Sandbox(ID, new SandboxSpec(new PodName("web", "uid-1", "default", 0), "web", "", List.of(),
        List.of(), List.of(), List.of(), Map.of(), Map.of(), "/kubepods/pod1", false, false, false, sharedPid, Map.of(),
        "", null), SandboxState.READY, 1, "", List.of(), "/kubepods/pod1", sharedPid ? 4242 : 0);
  }

  @Test
  void aCgroupTheKubeletNamedIsNotOurs() {
    release.onRemove(PodRelease.Target.of(inKubeletCgroup(false), pinned)).run();

    assertTrue(node.calls.stream().noneMatch(call -> call.startsWith("cgroup")), node.calls.toString());
  }

  @Test
  void anInfraInACgroupTheKubeletNamedHasItsOwnCgroupRemovedAfterTheInfra() {
    release.onRemove(PodRelease.Target.of(inKubeletCgroup(true), infra)).run();

    // A spare infra moved there (SpareInfras) is in a cgroup Berth made, which runc's delete does not remove.
    assertEquals(List.of("pod files", "infra", "cgroup /kubepods/pod1/" + ID, "CNI DEL web", "netns", "directory"),
        node.calls);
  }

  @Test
  void aPodKnownByItsIdAloneIsReleasedAsEveryKindWithTheCgroupNamedByItsId() {
    List<String> failures = release.onRemove(PodRelease.Target.ofNote(ID, Optional.empty(), "/berth")).run();

    assertEquals(List.of(), failures);
    assertEquals(List.of("pod files", "infra", "pins", "CNI DEL", "netns", "cgroup /berth/" + ID, "directory"),
        node.calls);
  }

  @Test
  void aCreationNoteNamesThePodForCniAndItsOwnedCgroup() {
    release.onRemove(PodRelease.Target.ofNote(ID, Optional.of(new SandboxIntent(spec(false), "/elsewhere/" + ID)),
        "/berth")).run();

    assertEquals(List.of("pod files", "infra", "pins", "CNI DEL web", "netns", "cgroup /elsewhere/" + ID,
        "directory"), node.calls);
  }

  @Test
  void aCreationNoteWithoutAnOwnedCgroupRemovesNone() {
    release.onRemove(PodRelease.Target.ofNote(ID, Optional.of(new SandboxIntent(spec(true), "")), "/berth")).run();

    assertEquals(List.of("pod files", "infra", "pins", "directory"), node.calls);
  }

  @Test
  void aCreateThatPushesTheStepsAsItGoesIsUndoneInTheReleaseOrder() {
    PodRelease.Target pod = PodRelease.Target.of(sandbox(false), pinned);
    Undo undo = new Undo();
    // As SandboxManager.create pushes them, in the order it makes what they release.
    undo.push(release.directory(pod));
    release.cgroup(pod).ifPresent(undo::push);
    release.networkNamespace(pod).ifPresent(undo::push);
    release.network(pod).ifPresent(undo::push);
    release.namespaces(pod, true).forEach(undo::push);
    undo.push(release.podFiles(pod));

    undo.rollback();

    List<String> undone = List.copyOf(node.calls);
    node.calls.clear();
    release.onRemove(pod).run();
    assertEquals(node.calls, undone);
  }

  @Test
  void everyStepIsNamedForTheReport() {
    List<String> names = release.onRemove(PodRelease.Target.of(sandbox(false), pinned)).steps().stream()
        .map(ReleaseStep::what).toList();

    assertEquals(List.of("remove the pod files", "remove pins", "CNI DEL", "remove the network namespace",
        "remove the pod cgroup /berth/" + ID), names);
  }
}

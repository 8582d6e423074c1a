package dev.berth.runtime.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContainerReleaseTest {

  private static final String ID = "c".repeat(64);
  private static final Path DIR = Path.of("/var/lib/berth/containers", ID);
  private static final String POD = "p".repeat(64);

  /** A node in memory: what the container holds, each release logged; removing what is gone succeeds. */
  private static final class FakeNode implements ContainerRelease.Node {
    final List<String> calls = new ArrayList<>();
    final Set<String> held = new HashSet<>(Set.of("runtime", "idmap", "volumes", "rootfs", "cgroup",
        "directory"));
    final Set<String> failing = new HashSet<>();

    private void release(String part) throws IOException {
      calls.add(part);
      if (failing.contains(part)) {
        throw new IOException(part + " is busy");
      }
      held.remove(part);
    }

    @Override
    public void deleteRuntimeContainer(String containerId) throws IOException {
      release("runtime");
    }

    @Override
    public void releaseIdmappedMounts(String podId, String containerId) throws IOException {
      assertEquals(POD, podId);
      assertEquals(ID, containerId);
      release("idmap");
    }

    @Override
    public void releaseImageVolumes(String containerId, Path containerDir) throws IOException {
      assertEquals(DIR, containerDir);
      release("volumes");
    }

    @Override
    public void releaseRootfs(String containerId, Path rootfs) throws IOException {
      assertEquals(DIR.resolve("bundle/rootfs"), rootfs);
      release("rootfs");
    }

    @Override
    public void removeCgroup(String cgroupPath) throws IOException {
      assertEquals("/berth/pod/" + ID, cgroupPath);
      release("cgroup");
    }

    @Override
    public void deleteDirectory(String containerId) throws IOException {
      release("directory");
    }
  }

  private final FakeNode node = new FakeNode();
  private final ContainerRelease release = new ContainerRelease(node);
  private final ContainerRelease.Target container = new ContainerRelease.Target(ID, DIR,
      Optional.of("/berth/pod/" + ID), Optional.of(POD));

  @Test
  void removalReleasesInOneOrderWithTheDirectoryLast() {
    assertEquals(List.of(), release.onRemove(container).run());

    assertEquals(List.of("runtime", "idmap", "volumes", "rootfs", "cgroup", "directory"), node.calls);
    assertEquals(Set.of(), node.held);
  }

  @Test
  void removingTwiceSucceeds() {
    release.onRemove(container).run();
    node.calls.clear();

    assertEquals(List.of(), release.onRemove(container).run());
    assertEquals(List.of("runtime", "idmap", "volumes", "rootfs", "cgroup", "directory"), node.calls);
  }

  @Test
  void aFailingStepDoesNotSkipTheLaterOnesButKeepsTheRecord() {
    node.failing.add("volumes");

    List<String> failures = release.onRemove(container).run();

    assertEquals(List.of("release the image volumes: volumes is busy"), failures);
    assertEquals(List.of("runtime", "idmap", "volumes", "rootfs", "cgroup"), node.calls);
    assertEquals(Set.of("volumes", "directory"), node.held);
  }

  @Test
  void withoutItsPodNeitherTheCgroupNorTheIdmapTreeIsGuessed() {
    release.onRemove(new ContainerRelease.Target(ID, DIR, Optional.empty())).run();

    assertEquals(List.of("runtime", "volumes", "rootfs", "directory"), node.calls);
  }

  @Test
  void aCreateThatPushesTheStepsAsItGoesIsUndoneInTheReleaseOrder() {
    dev.berth.runtime.model.Undo undo = new dev.berth.runtime.model.Undo();
    // As ContainerManager.create pushes them (its image volumes come from ImageVolumes.prepare, one each).
    undo.push(release.directory(container));
    release.cgroup(container).ifPresent(undo::push);
    undo.push(release.rootfs(container));
    release.idmappedMounts(container).ifPresent(undo::push);
    undo.push(release.imageVolumes(container));
    undo.push(release.runtimeContainer(container));

    undo.rollback();

    // An image volume's release before the idmapped mounts only drops its record: the overlay
    // over its idmapped layers has no upper directory, and goes with the idmapped mounts next.
    assertEquals(List.of("runtime", "volumes", "idmap", "rootfs", "cgroup", "directory"), node.calls);
  }
}

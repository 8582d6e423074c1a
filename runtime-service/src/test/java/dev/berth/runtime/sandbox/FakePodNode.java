package dev.berth.runtime.sandbox;

import dev.berth.runtime.model.ReleaseStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A node in memory for release tests: what a pod holds is a set of names, every release call is
 * logged in order, a removal of what is not held succeeds (as the real ones must), and any part
 * can be made to fail.
 */
final class FakePodNode implements PodRelease.Node {

  final List<String> calls = new ArrayList<>();
  final Set<String> held = new HashSet<>();
  final Set<String> failing = new HashSet<>();

  /** A pod that got everything: files, its namespaces' holder, network, netns, cgroup, directory. */
  FakePodNode holding(String... parts) {
    held.addAll(List.of(parts));
    return this;
  }

  private void release(String part) throws IOException {
    calls.add(part);
    if (failing.contains(part)) {
      throw new IOException(part + " refused");
    }
    held.remove(part);
  }

  @Override
  public void removePodFiles(String sandboxId) throws IOException {
    release("pod files");
  }

  @Override
  public void detachNetwork(String sandboxId, Optional<SandboxSpec> spec) throws IOException {
    release("CNI DEL" + spec.map(s -> " " + s.pod().name()).orElse(""));
  }

  @Override
  public void removeNetworkNamespace(String sandboxId) throws IOException {
    release("netns");
  }

  @Override
  public void removeCgroup(String cgroupPath) throws IOException {
    release("cgroup " + cgroupPath);
  }

  @Override
  public void deleteDirectory(String sandboxId) throws IOException {
    release("directory");
  }

  /** A kind of namespace holder whose releases are logged on the same node. */
  PodNamespaces namespaces(String kind) {
    return new PodNamespaces() {
      @Override
      public long create(NewPod pod) {
        held.add(kind);
        return 0;
      }

      @Override
      public String joinPath(Sandbox sandbox, PodNamespace namespace) {
        return kind + "/" + namespace.procName();
      }

      @Override
      public boolean alive(Sandbox sandbox) {
        return held.contains(kind);
      }

      @Override
      public boolean hasShim() {
        return kind.equals("infra");
      }

      @Override
      public boolean holderAlive(Sandbox sandbox) {
        return held.contains(kind);
      }

      @Override
      public long holderPid(Sandbox sandbox) {
        return 0;
      }

      @Override
      public ReleaseStep releaseOnStop(String sandboxId) {
        return new ReleaseStep("stop " + kind, () -> release(kind));
      }

      @Override
      public ReleaseStep releaseOnRemove(String sandboxId) {
        return new ReleaseStep("remove " + kind, () -> release(kind));
      }

      @Override
      public String holder() {
        return kind;
      }
    };
  }
}

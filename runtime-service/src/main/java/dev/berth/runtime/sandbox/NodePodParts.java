package dev.berth.runtime.sandbox;

import dev.berth.runtime.cgroup.CgroupModel;
import dev.berth.runtime.cni.CniAttachment;
import dev.berth.runtime.cni.CniNetwork;
import dev.berth.runtime.netns.NetworkNamespaces;
import dev.berth.runtime.store.RecordStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The real parts of the node a pod holds, as {@link PodRelease} releases them. */
public final class NodePodParts implements PodRelease.Node {

  private final RecordStore<Sandbox> store;
  private final Path podsDir;
  private final NetworkNamespaces namespaces;
  private final CniNetwork network;
  private final CgroupModel cgroups;

  public NodePodParts(RecordStore<Sandbox> store, Path podsDir, NetworkNamespaces namespaces, CniNetwork network,
      CgroupModel cgroups) {
    this.store = store;
    this.podsDir = podsDir;
    this.namespaces = namespaces;
    this.network = network;
    this.cgroups = cgroups;
  }

  @Override
  public void removePodFiles(String sandboxId) throws Exception {
    new PodFiles(podsDir, sandboxId).remove();
  }

  @Override
  public void detachNetwork(String sandboxId, Optional<SandboxSpec> spec) throws Exception {
    Path netns = namespaces.exists(sandboxId) ? namespaces.path(sandboxId) : null;
    network.detach(attachment(sandboxId, spec, netns));
  }

  /** The pod's attachment to the CNI network: for ADD, and for DEL (whose cache entry holds the rest). */
  static CniAttachment attachment(String id, Optional<SandboxSpec> spec, Path netns) {
    List<dev.berth.runtime.cni.PortMapping> ports = spec.map(s -> s.portMappings().stream()
        .map(p -> new dev.berth.runtime.cni.PortMapping(p.protocol(), p.containerPort(), p.hostPort(), p.hostIp()))
        .toList()).orElse(List.of());
    return new CniAttachment(id, netns, "eth0", spec.map(s -> s.pod().name()).orElse(""),
        spec.map(s -> s.pod().namespace()).orElse(""), spec.map(s -> s.pod().uid()).orElse(""), ports);
  }

  @Override
  public void removeNetworkNamespace(String sandboxId) throws Exception {
    namespaces.remove(sandboxId);
  }

  @Override
  public void removeCgroup(String cgroupPath) throws Exception {
    cgroups.remove(cgroupPath);
  }

  @Override
  public void deleteDirectory(String sandboxId) throws Exception {
    store.delete(sandboxId);
  }
}

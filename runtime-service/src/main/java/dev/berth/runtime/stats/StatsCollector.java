package dev.berth.runtime.stats;

import dev.berth.runtime.cgroup.CgroupReader;
import dev.berth.runtime.cgroup.CgroupSpec;
import dev.berth.runtime.cgroup.CgroupStats;
import dev.berth.runtime.model.Clock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes samples of containers and pods from their snapshots and the cgroup reader. Every
 * cgroup in a sample is read once; {@link #all} reads each pod's and container's cgroup once
 * for a whole scrape.
 */
public final class StatsCollector {

  private static final Logger log = LoggerFactory.getLogger(StatsCollector.class);

  private final CgroupReader reader;
  private final Workloads workloads;
  private final WritableLayers layers;
  private final NetDev netDev;
  private final ProcessCounter processes;
  private final ImageFilesystem filesystem;
  private final CgroupSpecCache specs;

  public StatsCollector(CgroupReader reader, Workloads workloads,
      WritableLayers layers, NetDev netDev, ProcessCounter processes, ImageFilesystem filesystem) {
    this.reader = reader;
    this.workloads = workloads;
    this.layers = layers;
    this.netDev = netDev;
    this.processes = processes;
    this.filesystem = filesystem;
    this.specs = new CgroupSpecCache(reader::spec);
  }

  /**
   * New limits were written to the cgroup of this pod or container, or it was removed: its
   * limit files are read again at the next scrape.
   */
  public void limitsChanged(String podOrContainerId) {
    specs.invalidate(podOrContainerId);
  }

  public ContainerSample container(ContainerSnapshot container) {
    PodSnapshot sandbox = workloads.pod(container.sandboxId()).orElse(null);
    return container(container, sandbox, cgroupPath(container, sandbox), false, Optional.empty());
  }

  private static String cgroupPath(ContainerSnapshot container, PodSnapshot sandbox) {
    return sandbox == null ? "" : sandbox.cgroupParent() + "/" + container.id();
  }

  private ContainerSample container(ContainerSnapshot container, PodSnapshot sandbox, String cgroupPath,
      boolean forMetrics, Optional<FilesystemSample> fs) {
    Optional<CgroupStats> cgroup = sandbox == null ? Optional.empty() : read(cgroupPath);
    MetricsDetails details = forMetrics && sandbox != null ? details(container.id(), cgroupPath, fs)
        : MetricsDetails.NONE;
    return new ContainerSample(container, sandbox, cgroupPath, Clock.nowNanos(), cgroup,
        layers.usage(container.id()), details);
  }

  /**
   * A stopped container for the metrics: nothing read. cAdvisor's series of a container end with
   * its cgroup; Berth's cgroup of an exited container lives on until removal, frozen.
   */
  private static ContainerSample stopped(ContainerSnapshot container, PodSnapshot sandbox, String cgroupPath) {
    return new ContainerSample(container, sandbox, cgroupPath, Clock.nowNanos(), Optional.empty(), Optional.empty(),
        MetricsDetails.NONE);
  }

  private MetricsDetails details(String ownerId, String cgroupPath, Optional<FilesystemSample> fs) {
    Optional<CgroupSpec> spec;
    Optional<ProcessStats> counted;
    try {
      spec = specs.spec(ownerId, cgroupPath);
      counted = reader.processesDir(cgroupPath).flatMap(processes::count);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      log.debug("cgroup {}: {}", cgroupPath, e.toString());
      return MetricsDetails.NONE;
    }
    return new MetricsDetails(spec, counted, fs);
  }

  /** The pod with every container it holds. */
  public PodSample pod(PodSnapshot sandbox) {
    List<ContainerSnapshot> members = workloads.containersOf(sandbox.id());
    return pod(sandbox, members, false, Optional.empty());
  }

  private PodSample pod(PodSnapshot sandbox, List<ContainerSnapshot> members, boolean forMetrics,
      Optional<FilesystemSample> fs) {
    Optional<CgroupStats> cgroup = read(sandbox.cgroupParent());
    List<InterfaceStats> network = List.of();
    if (sandbox.networkReadable()) {
      try {
        network = netDev.read(networkPid(sandbox, members));
      } catch (IOException e) {
        log.debug("network stats of pod {}: {}", sandbox.id(), e.toString());
      }
    }
    long timestamp = Clock.nowNanos();
    List<ContainerSample> samples = new ArrayList<>(members.size());
    for (ContainerSnapshot member : members) {
      String path = cgroupPath(member, sandbox);
      samples.add(forMetrics && !member.live() ? stopped(member, sandbox, path)
          : container(member, sandbox, path, forMetrics, fs));
    }
    MetricsDetails details = forMetrics ? details(sandbox.id(), sandbox.cgroupParent(), Optional.empty()) : MetricsDetails.NONE;
    return new PodSample(sandbox, sandbox.cgroupParent(), timestamp, cgroup, network, samples, details);
  }

  /**
   * A process in the pod's network namespace: the one holding the pod's namespaces, or for a pod
   * whose namespaces are pinned files any running container (all join the pinned netns); 0 when
   * there is none, which reads as no interfaces.
   */
  private static long networkPid(PodSnapshot sandbox, List<ContainerSnapshot> members) {
    if (sandbox.infraPid() > 0) {
      return sandbox.infraPid();
    }
    return members.stream().filter(ContainerSnapshot::running)
        .mapToLong(ContainerSnapshot::pid).filter(pid -> pid > 0).findFirst().orElse(0);
  }

  /**
   * Every pod and container of the node with their {@link MetricsDetails}, for one scrape or CRI
   * metrics call; stopped containers are read no further. Also drops cache entries of removed pods and containers.
   */
  public List<PodSample> all() {
    Optional<FilesystemSample> fs = filesystem.read();
    List<ContainerSnapshot> all = workloads.containers();
    Map<String, List<ContainerSnapshot>> bySandbox = new HashMap<>();
    for (ContainerSnapshot container : all) {
      bySandbox.computeIfAbsent(container.sandboxId(), id -> new ArrayList<>()).add(container);
    }
    List<PodSample> pods = new ArrayList<>();
    for (PodSnapshot sandbox : workloads.pods()) {
      pods.add(pod(sandbox, bySandbox.getOrDefault(sandbox.id(), List.of()), true, fs));
    }
    Set<String> containerIds = all.stream().map(ContainerSnapshot::id).collect(Collectors.toSet());
    layers.retainOnly(containerIds);
    Set<String> owners = new HashSet<>(containerIds);
    pods.forEach(pod -> owners.add(pod.sandbox().id()));
    specs.retainOnly(owners);
    return pods;
  }

  private Optional<CgroupStats> read(String cgroupPath) {
    try {
      return reader.read(cgroupPath);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      log.debug("cgroup {}: {}", cgroupPath, e.toString());
      return Optional.empty();
    }
  }
}

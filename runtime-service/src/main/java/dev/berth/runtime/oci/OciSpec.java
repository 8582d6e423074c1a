package dev.berth.runtime.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The OCI runtime spec ({@code config.json}) as Berth writes it: only the fields Berth sets, named
 * as the runtime-spec names them. A null field is left out of the JSON (the spec's "omitempty");
 * an empty list is written as {@code []}. {@link OciSpecJson} is the one place that turns it into
 * bytes.
 *
 * <p>A new field is one component in its record here (a user namespace's {@code uidMappings} and
 * {@code gidMappings} belong in {@link Linux}, a new namespace kind in {@link NamespacePlan}); the
 * compiler then names the few places that build that record, each a translation that decides its
 * value.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OciSpec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts,
    Linux linux) {

  /** The runtime-spec version Berth writes; runc 1.1 and crun read it. */
  public static final String VERSION = "1.0.2";

  public OciSpec withRoot(Root newRoot) {
    return new OciSpec(ociVersion, process, newRoot, hostname, mounts, linux);
  }

  public OciSpec withMounts(List<Mount> newMounts) {
    return new OciSpec(ociVersion, process, root, hostname, newMounts, linux);
  }

  public OciSpec withLinux(Linux newLinux) {
    return new OciSpec(ociVersion, process, root, hostname, mounts, newLinux);
  }

  /**
   * The container's main process; an exec is the same process with other args.
   *
   * @param oomScoreAdj null leaves the runtime's own
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Process(Boolean terminal, User user, List<String> args, List<String> env, String cwd,
      Capabilities capabilities, Boolean noNewPrivileges, Integer oomScoreAdj) {

    /**
     * An exec in the container: its own command and terminal, everything else (user, env,
     * capabilities, cwd, no_new_privs) as the container's process has it. A terminal needs a TERM,
     * which the kubelet does not send.
     */
    public Process forExec(List<String> command, boolean tty) {
      List<String> execEnv = env == null ? List.of() : env;
      if (tty && execEnv.stream().noneMatch(entry -> entry.startsWith("TERM="))) {
        execEnv = java.util.stream.Stream.concat(execEnv.stream(), java.util.stream.Stream.of("TERM=xterm")).toList();
      }
      return new Process(tty, user, List.copyOf(command), execEnv, cwd, capabilities, noNewPrivileges, oomScoreAdj);
    }
  }

  /** @param additionalGids null when the process has no supplementary group */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record User(long uid, long gid, List<Long> additionalGids) {}

  /** The same set in each of the sets runc applies; Berth grants no inheritable or ambient ones. */
  public record Capabilities(List<String> bounding, List<String> effective, List<String> permitted) {

    public static Capabilities of(List<String> capabilities) {
      List<String> set = List.copyOf(capabilities);
      return new Capabilities(set, set, set);
    }
  }

  public record Root(String path, boolean readonly) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mount(String destination, String type, String source, List<String> options) {

    public Mount withSource(String newSource) {
      return new Mount(destination, type, newSource, options);
    }
  }

  /**
   * @param sysctl null for none
   * @param devices device nodes to create; null for none
   * @param seccomp null for unconfined
   * @param rootfsPropagation null for the runtime's default (rprivate)
   * @param uidMappings the user namespace's uid map, null outside one of the pod's own: runc 1.1
   *     reads it even when it joins the namespace by path (it owns its state files to the
   *     container's root by it), so it is written as the namespace has it
   * @param gidMappings its gid map, likewise
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Linux(Map<String, String> sysctl, OciResources resources, String cgroupsPath,
      List<Namespace> namespaces, List<Device> devices, Seccomp seccomp, String rootfsPropagation,
      List<String> maskedPaths, List<String> readonlyPaths, List<IdMapping> uidMappings,
      List<IdMapping> gidMappings) {

    /** The same container in another pod: its cgroup and the namespaces it joins change, nothing else. */
    public Linux inPod(String newCgroupsPath, List<Namespace> newNamespaces) {
      return new Linux(sysctl, resources, newCgroupsPath, newNamespaces, devices, seccomp, rootfsPropagation,
          maskedPaths, readonlyPaths, uidMappings, gidMappings);
    }
  }

  /** One range of a user namespace's id map, as the runtime-spec names its fields. */
  public record IdMapping(@JsonProperty("containerID") long containerId, @JsonProperty("hostID") long hostId,
      long size) {

    /** The spec's list for one range of a pod's mapping. */
    public static List<IdMapping> of(dev.berth.runtime.userns.IdMapping range) {
      return List.of(new IdMapping(range.containerId(), range.hostId(), range.length()));
    }
  }

  /** @param path null for a namespace of its own, otherwise the namespace file to join */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Namespace(String type, String path) {}

  /** A device node the runtime creates in the container's /dev. */
  public record Device(String path, String type, long major, long minor, int fileMode, long uid, long gid) {}
}

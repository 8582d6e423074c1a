package dev.berth.runtime.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.container.LinuxResources;
import dev.berth.runtime.container.MountSpec;
import dev.berth.runtime.userns.IdMapping;
import dev.berth.runtime.userns.UserNamespaceMapping;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds an OCI runtime spec (config.json) for runc. It knows the OCI format and Berth's defaults,
 * nothing about CRI messages: callers pass resolved values.
 */
public final class OciSpecBuilder {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode spec = JSON.createObjectNode();
  private final ObjectNode process;
  private final ArrayNode mounts;
  private final ObjectNode linux;

  public OciSpecBuilder(Path rootfs, boolean readonlyRootfs) {
    spec.put("ociVersion", "1.0.2");
    process = spec.putObject("process");
    process.put("cwd", "/");
    ObjectNode root = spec.putObject("root");
    root.put("path", rootfs.toString());
    root.put("readonly", readonlyRootfs);
    mounts = spec.putArray("mounts");
    linux = spec.putObject("linux");
    standardMounts();
    ArrayNode devices = linux.putObject("resources").putArray("devices");
    devices.addObject().put("allow", false).put("access", "rwm");
    strings(linux.putArray("maskedPaths"), OciDefaults.MASKED_PATHS);
    strings(linux.putArray("readonlyPaths"), OciDefaults.READONLY_PATHS);
  }

  public OciSpecBuilder process(List<String> args, List<String> env, String cwd, long uid, long gid, boolean terminal) {
    strings(process.putArray("args"), args);
    strings(process.putArray("env"), env);
    process.put("cwd", cwd.isEmpty() ? "/" : cwd);
    process.put("terminal", terminal);
    ObjectNode user = process.putObject("user");
    user.put("uid", uid);
    user.put("gid", gid);
    ObjectNode capabilities = process.putObject("capabilities");
    for (String set : new String[] {"bounding", "effective", "permitted"}) {
      strings(capabilities.putArray(set), OciDefaults.CAPABILITIES);
    }
    // No rlimits: the container inherits the shim's, which come from the daemon's service unit
    // (a fixed RLIMIT_NOFILE above the node's hard limit makes runc fail).
    process.put("noNewPrivileges", false);
    return this;
  }

  public OciSpecBuilder capabilities(List<String> capabilities) {
    ObjectNode node = process.putObject("capabilities");
    for (String set : new String[] {"bounding", "effective", "permitted"}) {
      strings(node.putArray(set), capabilities);
    }
    return this;
  }

  public OciSpecBuilder noNewPrivileges(boolean value) {
    process.put("noNewPrivileges", value);
    return this;
  }

  public OciSpecBuilder additionalGids(List<Long> gids) {
    if (!gids.isEmpty()) {
      ArrayNode array = ((ObjectNode) process.get("user")).putArray("additionalGids");
      gids.forEach(array::add);
    }
    return this;
  }

  public OciSpecBuilder maskedPaths(List<String> paths) {
    strings(linux.putArray("maskedPaths"), paths);
    return this;
  }

  public OciSpecBuilder readonlyPaths(List<String> paths) {
    strings(linux.putArray("readonlyPaths"), paths);
    return this;
  }

  /**
   * A privileged container: every capability, every host device, /sys and cgroups writable, no
   * masked or read-only /proc paths and no seccomp, as containerd and CRI-O run them.
   */
  public OciSpecBuilder privileged(List<HostDevice> hostDevices) {
    capabilities(Capabilities.all());
    linux.putArray("maskedPaths");
    linux.putArray("readonlyPaths");
    linux.remove("seccomp");
    for (com.fasterxml.jackson.databind.JsonNode mount : mounts) {
      String destination = mount.get("destination").asText();
      if (destination.equals("/sys") || destination.equals("/sys/fs/cgroup")) {
        ArrayNode options = (ArrayNode) mount.get("options");
        for (int i = 0; i < options.size(); i++) {
          if (options.get(i).asText().equals("ro")) {
            options.set(i, JSON.getNodeFactory().textNode("rw"));
          }
        }
      }
    }
    ArrayNode rules = ((ObjectNode) linux.get("resources")).putArray("devices");
    rules.addObject().put("allow", true).put("access", "rwm");
    ArrayNode nodes = linux.putArray("devices");
    for (HostDevice device : hostDevices) {
      nodes.addObject().put("path", device.containerPath()).put("type", device.type())
          .put("major", device.major()).put("minor", device.minor()).put("fileMode", device.fileMode())
          .put("uid", 0).put("gid", 0);
    }
    return this;
  }

  public OciSpecBuilder seccomp(ObjectNode profile) {
    linux.set("seccomp", profile);
    return this;
  }

  public OciSpecBuilder sysctls(java.util.Map<String, String> sysctls) {
    if (!sysctls.isEmpty()) {
      ObjectNode node = linux.putObject("sysctl");
      sysctls.forEach(node::put);
    }
    return this;
  }

  public OciSpecBuilder pidsLimit(long limit) {
    if (limit > 0) {
      ((ObjectNode) linux.get("resources")).putObject("pids").put("limit", limit);
    }
    return this;
  }

  public OciSpecBuilder oomScoreAdj(int value) {
    process.put("oomScoreAdj", value);
    return this;
  }

  public OciSpecBuilder hostname(String hostname) {
    spec.put("hostname", hostname);
    return this;
  }

  public OciSpecBuilder namespaces(NamespacePlan plan) {
    ArrayNode namespaces = linux.putArray("namespaces");
    namespaces.addObject().put("type", "mount");
    namespace(namespaces, "network", plan.network());
    namespace(namespaces, "pid", plan.pid());
    namespace(namespaces, "ipc", plan.ipc());
    namespace(namespaces, "uts", plan.uts());
    return this;
  }

  /**
   * Joins the pod's pinned user namespace (after {@link #namespaces}, which it extends). runc 1.1
   * reads the mappings from the spec even when it joins a namespace by path (it owns its state
   * files to the container's root by them), so they are written too, as the namespace has them.
   */
  public OciSpecBuilder userNamespace(String path, UserNamespaceMapping mapping) {
    ArrayNode namespaces = (ArrayNode) linux.get("namespaces");
    namespaces.insertObject(0).put("type", "user").put("path", path);
    idMapping(linux.putArray("uidMappings"), mapping.uids());
    idMapping(linux.putArray("gidMappings"), mapping.gids());
    return this;
  }

  private static void idMapping(ArrayNode array, IdMapping mapping) {
    array.addObject().put("containerID", mapping.containerId()).put("hostID", mapping.hostId())
        .put("size", mapping.length());
  }

  public OciSpecBuilder cgroupsPath(String path) {
    linux.put("cgroupsPath", path);
    return this;
  }

  public OciSpecBuilder resources(LinuxResources resources) {
    ObjectNode node = (ObjectNode) linux.get("resources");
    LinuxResourcesJson.fill(node, resources);
    return this;
  }

  /** A read-only or read-write bind mount of a host file or directory. */
  public OciSpecBuilder bind(String destination, String source, boolean readonly, String propagation) {
    bindMount(destination, source, readonly, propagation);
    return this;
  }

  private ArrayNode bindMount(String destination, String source, boolean readonly, String propagation) {
    ObjectNode mount = mounts.addObject();
    mount.put("destination", destination);
    mount.put("type", "bind");
    mount.put("source", source);
    ArrayNode options = mount.putArray("options");
    options.add("rbind");
    options.add(propagation.isEmpty() ? "rprivate" : propagation);
    options.add(readonly ? "ro" : "rw");
    return options;
  }

  public OciSpecBuilder mounts(List<MountSpec> specs) {
    boolean shared = false;
    boolean slave = false;
    for (MountSpec mount : specs) {
      ArrayNode options = bindMount(mount.containerPath(), mount.hostPath(), mount.readonly(), mount.propagation());
      if (mount.recursiveReadOnly()) {
        // The runtime sets MOUNT_ATTR_RDONLY on the whole tree with mount_setattr(AT_RECURSIVE).
        options.add("rro");
      }
      shared |= mount.propagation().equals("rshared");
      slave |= mount.propagation().equals("rslave");
    }
    // A propagating mount needs the container's root mount to propagate as well.
    if (shared) {
      linux.put("rootfsPropagation", "rshared");
    } else if (slave) {
      linux.put("rootfsPropagation", "rslave");
    }
    return this;
  }

  public OciSpecBuilder devices(List<HostDevice> resolved) {
    if (resolved.isEmpty()) {
      return this;
    }
    ArrayNode nodes = linux.putArray("devices");
    ArrayNode rules = (ArrayNode) linux.get("resources").get("devices");
    for (HostDevice device : resolved) {
      nodes.addObject().put("path", device.containerPath()).put("type", device.type())
          .put("major", device.major()).put("minor", device.minor()).put("fileMode", device.fileMode())
          .put("uid", 0).put("gid", 0);
      rules.addObject().put("allow", true).put("type", device.type()).put("major", device.major())
          .put("minor", device.minor()).put("access", device.permissions());
    }
    return this;
  }

  /** A device node resolved on the host: type c or b, its numbers and mode. */
  public record HostDevice(String containerPath, String type, long major, long minor, int fileMode, String permissions) {}

  public ObjectNode build() {
    return spec.deepCopy();
  }

  private void standardMounts() {
    mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev");
    mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
    mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
    mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
    mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
  }

  private void mount(String destination, String type, String source, String... options) {
    ObjectNode mount = mounts.addObject();
    mount.put("destination", destination);
    mount.put("type", type);
    mount.put("source", source);
    strings(mount.putArray("options"), List.of(options));
  }

  private static void namespace(ArrayNode namespaces, String type, String path) {
    if (path == null) {
      return;
    }
    ObjectNode node = namespaces.addObject().put("type", type);
    if (!path.isEmpty()) {
      node.put("path", path);
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}

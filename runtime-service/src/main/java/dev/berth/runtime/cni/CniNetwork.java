package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.runtime.netns.NetworkNamespaces;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod network: CNI ADD and DEL of the configured network (the first config in the conf dir)
 * for one sandbox at a time, with what DEL needs cached on disk so it works after a restart.
 *
 * <p>The pod's {@code lo} is not CNI's business here: the namespace comes with it up
 * ({@link NetworkNamespaces}), so a node needs no {@code loopback} plugin. Berth never cached
 * or deleted a loopback attachment (it has no host-side state and dies with the namespace), so
 * pods attached by a Berth that still ran that plugin are deleted the same way.
 */
public final class CniNetwork {

  private static final Logger log = LoggerFactory.getLogger(CniNetwork.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Long enough for a slow IPAM; short of the kubelet's 2 minute runtime request timeout. */
  public static final Duration DEFAULT_PLUGIN_TIMEOUT = Duration.ofSeconds(60);

  private final Path confDir;
  private final CniPluginExec exec;
  private final CniResultCache cache;

  public CniNetwork(Path confDir, List<Path> binDirs, Path cacheDir) {
    this(confDir, binDirs, cacheDir, DEFAULT_PLUGIN_TIMEOUT);
  }

  public CniNetwork(Path confDir, List<Path> binDirs, Path cacheDir, Duration pluginTimeout) {
    this.confDir = confDir;
    this.exec = new CniPluginExec(binDirs, pluginTimeout);
    this.cache = new CniResultCache(cacheDir);
  }

  /**
   * CNI ADD of the configured network (conflist: chained plugins with prevResult) into the
   * attachment's namespace. When a plugin fails, the plugins before it are deleted again and no
   * cache entry remains.
   */
  public CniResult attach(CniAttachment attachment) throws CniException {
    if (attachment.netns() == null) {
      throw new IllegalArgumentException("attach needs the sandbox's network namespace");
    }
    CniConfigList network = loadNetwork();
    String args = cniArgs(attachment);
    Map<String, JsonNode> capabilityArgs = capabilityArgs(attachment.portMappings());
    CniResultCache.Entry pending = new CniResultCache.Entry(attachment.sandboxId(), attachment.ifName(), args,
        network.toJson(), JSON.valueToTree(capabilityArgs), null);

    Optional<CniResultCache.Entry> previous = readCache(attachment.sandboxId());
    if (previous.isPresent() && previous.get().result() != null) {
      throw new CniException("sandbox " + attachment.sandboxId() + " is already attached to network "
          + previous.get().networkConfig().path("name").asText() + "; detach it first", null);
    }
    if (previous.isPresent()) {
      // A daemon died during an earlier ADD: undo whatever that got done before trying again.
      log.info("sandbox {} has an unfinished CNI ADD from before; deleting it first", attachment.sandboxId());
      detach(attachment);
    }

    writeCache(pending);
    JsonNode result = runAdd(network, attachment, args, capabilityArgs);
    // Not fsynced: the pending entry above already is, and it holds all a DEL needs but the
    // prevResult. Only a crash of the whole node can lose this write, and that takes the
    // namespace and its interfaces with it; DEL then runs without prevResult, as plugins allow.
    writeCache(pending.withResult(result), false);
    CniResult attached = CniResult.from(result);
    log.debug("sandbox {} attached to network {} with {}", attachment.sandboxId(), network.name(), attached.ips());
    return attached;
  }

  /**
   * CNI DEL with the config and result cached at ADD; harmless when repeated, when nothing was
   * added, and when the namespace is already gone. The cache entry goes only after every plugin
   * succeeded, so a failed DEL can be retried.
   */
  public void detach(CniAttachment attachment) throws CniException {
    Optional<CniResultCache.Entry> cached;
    try {
      cached = cache.read(attachment.sandboxId());
    } catch (IOException e) {
      detachWithoutCache(attachment, e);
      return;
    }
    if (cached.isEmpty()) {
      log.debug("sandbox {} has no CNI attachment to delete", attachment.sandboxId());
      return;
    }
    CniResultCache.Entry entry = cached.get();
    CniConfigList network = CniConfigList.fromJson(entry.networkConfig(), "cache of " + attachment.sandboxId());
    Map<String, JsonNode> capabilityArgs = new LinkedHashMap<>();
    if (entry.runtimeConfig() != null) {
      entry.runtimeConfig().properties().forEach(field -> capabilityArgs.put(field.getKey(), field.getValue()));
    }
    runDel(network, attachment.sandboxId(), delNetns(attachment.netns()), entry.ifName(), entry.cniArgs(),
        capabilityArgs, entry.result());
    try {
      cache.remove(attachment.sandboxId());
    } catch (IOException e) {
      throw new CniException("cannot remove CNI cache of sandbox " + attachment.sandboxId() + ": " + e, e);
    }
    log.debug("sandbox {} detached from network {}", attachment.sandboxId(), network.name());
  }

  /**
   * A cache entry that cannot be read must not keep the pod from ever being stopped: it is moved
   * aside and DEL runs with the network configured now and no prevResult, as containerd does
   * without a cache. What that DEL cannot undo goes with the namespace, except perhaps an IPAM
   * reservation, which the log names.
   */
  private void detachWithoutCache(CniAttachment attachment, IOException unreadable) throws CniException {
    String id = attachment.sandboxId();
    try {
      Path aside = cache.quarantine(id);
      log.error("CNI cache of sandbox {} is unreadable ({}); moved to {}; deleting with the current network config",
          id, unreadable.getMessage(), aside);
    } catch (IOException e) {
      throw new CniException("CNI cache of sandbox " + id + " is unreadable (" + unreadable.getMessage()
          + ") and cannot be moved aside: " + e.getMessage(), e);
    }
    try {
      CniConfigList network = loadNetwork();
      runDel(network, id, delNetns(attachment.netns()), attachment.ifName(), cniArgs(attachment),
          capabilityArgs(attachment.portMappings()), null);
    } catch (CniException | RuntimeException e) {
      log.error("CNI DEL of sandbox {} without its cache failed; its IP address may stay reserved: {}", id,
          e.getMessage());
    }
  }

  private void runDel(CniConfigList network, String containerId, String netns, String ifName, String args,
      Map<String, JsonNode> capabilityArgs, JsonNode prevResult) throws CniException {
    CniPluginExec.Invocation del = new CniPluginExec.Invocation("DEL", containerId, netns, ifName, args);
    for (int i = network.plugins().size() - 1; i >= 0; i--) {
      exec.run(network.type(i), del, network.pluginConfig(i, prevResult, capabilityArgs));
    }
  }

  /**
   * Deletes what an ADD that failed at plugin {@code failed} may have set up: that plugin (it may
   * have got half way) and the ones before it, in reverse, carrying on past errors because
   * there is no later retry to leave them to.
   */
  private void undoPartialAdd(CniConfigList network, int failed, CniAttachment attachment, String args,
      Map<String, JsonNode> capabilityArgs, JsonNode partialResult, CniException failure) {
    CniPluginExec.Invocation del = new CniPluginExec.Invocation(
        "DEL", attachment.sandboxId(), attachment.netns().toString(), attachment.ifName(), args);
    for (int i = failed; i >= 0; i--) {
      try {
        exec.run(network.type(i), del, network.pluginConfig(i, partialResult, capabilityArgs));
      } catch (CniException e) {
        failure.addSuppressed(e);
      }
    }
    // The ADD failed: the caller tears the sandbox down and never asks us to DEL it, so an
    // entry kept here would only be a stale claim on the sandbox id.
    try {
      cache.remove(attachment.sandboxId());
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /** The configured plugins in order, each given the previous one's result; a failure undoes them. */
  private JsonNode runAdd(CniConfigList network, CniAttachment attachment, String args,
      Map<String, JsonNode> capabilityArgs) throws CniException {
    CniPluginExec.Invocation add = new CniPluginExec.Invocation(
        "ADD", attachment.sandboxId(), attachment.netns().toString(), attachment.ifName(), args);
    JsonNode result = null;
    for (int i = 0; i < network.plugins().size(); i++) {
      try {
        JsonNode output = exec.run(network.type(i), add, network.pluginConfig(i, result, capabilityArgs));
        if (output != null) {
          result = output;
        }
      } catch (CniException failure) {
        undoPartialAdd(network, i, attachment, args, capabilityArgs, result, failure);
        throw failure;
      }
    }
    return result != null ? result : JSON.createObjectNode().put("cniVersion", network.cniVersion());
  }

  private CniConfigList loadNetwork() throws CniException {
    Optional<Path> file;
    try {
      file = CniConfigFiles.first(confDir);
    } catch (NoSuchFileException e) {
      throw new CniException("no CNI network config: " + confDir + " does not exist", e);
    } catch (IOException e) {
      throw new CniException("cannot read CNI config directory " + confDir + ": " + e, e);
    }
    if (file.isEmpty()) {
      throw new CniException("no CNI network config found in " + confDir, null);
    }
    return CniConfigList.load(file.get());
  }

  private Optional<CniResultCache.Entry> readCache(String sandboxId) throws CniException {
    try {
      return cache.read(sandboxId);
    } catch (IOException e) {
      throw new CniException("CNI cache of sandbox " + sandboxId + " is unreadable: " + e.getMessage(), e);
    }
  }

  private void writeCache(CniResultCache.Entry entry) throws CniException {
    writeCache(entry, true);
  }

  private void writeCache(CniResultCache.Entry entry, boolean durable) throws CniException {
    try {
      cache.write(entry, durable);
    } catch (IOException e) {
      throw new CniException("cannot write CNI cache of sandbox " + entry.sandboxId() + ": " + e.getMessage(), e);
    }
  }

  /**
   * DEL must work when the namespace is gone. Plugins accept a missing path or an empty one, but
   * a file that is no longer a namespace (left on disk after a reboot) makes them fail with
   * "unknown FS magic", so anything that is not a pinned namespace is passed as empty.
   */
  private static String delNetns(Path netns) {
    return NetworkNamespaces.isPinned(netns) ? netns.toString() : "";
  }

  /** The keys the kubelet's own CNI callers set; IgnoreUnknown lets plugins skip the ones they don't know. */
  static String cniArgs(CniAttachment attachment) {
    return "IgnoreUnknown=1"
        + ";K8S_POD_NAMESPACE=" + attachment.podNamespace()
        + ";K8S_POD_NAME=" + attachment.podName()
        + ";K8S_POD_INFRA_CONTAINER_ID=" + attachment.sandboxId()
        + ";K8S_POD_UID=" + attachment.podUid();
  }

  /**
   * runtimeConfig arguments by capability. A mapping without a host port only documents the
   * container port (the kubelet sends those too) and is left out, as containerd does.
   */
  static Map<String, JsonNode> capabilityArgs(List<PortMapping> portMappings) {
    ArrayNode mappings = JSON.createArrayNode();
    for (PortMapping mapping : portMappings) {
      if (mapping.hostPort() <= 0) {
        continue;
      }
      ObjectNode node = mappings.addObject()
          .put("hostPort", mapping.hostPort())
          .put("containerPort", mapping.containerPort())
          .put("protocol", mapping.protocol());
      if (!mapping.hostIp().isEmpty()) {
        node.put("hostIP", mapping.hostIp());
      }
    }
    Map<String, JsonNode> args = new LinkedHashMap<>();
    if (!mappings.isEmpty()) {
      args.put("portMappings", mappings);
    }
    return args;
  }
}

package dev.berth.runtime.cni;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One pod's attachment to the network: who it is (for CNI_CONTAINERID and CNI_ARGS), where its
 * namespace is, and which host ports it wants.
 *
 * @param netns the pinned namespace file; null when the namespace is already gone (DEL only)
 */
public record CniAttachment(
    String sandboxId,
    Path netns,
    String ifName,
    String podName,
    String podNamespace,
    String podUid,
    List<PortMapping> portMappings) {

  /** The sandbox id names the cache file and goes into CNI_CONTAINERID. */
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  /** Linux interface names: at most 15 bytes, no slash, no whitespace. */
  private static final Pattern IF_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

  public CniAttachment {
    if (sandboxId == null || !SAFE_ID.matcher(sandboxId).matches()) {
      throw new IllegalArgumentException("sandbox id is not usable for CNI: " + sandboxId);
    }
    ifName = ifName == null || ifName.isEmpty() ? "eth0" : ifName;
    if (!IF_NAME.matcher(ifName).matches()) {
      throw new IllegalArgumentException("not an interface name: " + ifName);
    }
    podName = argValue("pod name", podName);
    podNamespace = argValue("pod namespace", podNamespace);
    podUid = argValue("pod uid", podUid);
    portMappings = portMappings == null ? List.of() : List.copyOf(portMappings);
  }

  /** CNI_ARGS is "K=V;K=V": a value holding ';' or '=' would forge another key. */
  private static String argValue(String what, String value) {
    if (value == null) {
      return "";
    }
    if (value.indexOf(';') >= 0 || value.indexOf('=') >= 0) {
      throw new IllegalArgumentException(what + " may not contain ';' or '=': " + value);
    }
    return value;
  }
}

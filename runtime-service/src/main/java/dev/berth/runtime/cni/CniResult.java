package dev.berth.runtime.cni;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What ADD gave the pod: its addresses (without prefix length, IPv4 first, which is the order
 * the CRI's PodSandboxNetworkStatus wants: ip, then additional_ips) and the final result as the
 * last plugin of the chain wrote it.
 */
public record CniResult(List<String> ips, String rawJson) {

  public CniResult {
    ips = List.copyOf(ips);
  }

  /** Reads both result shapes: "ips" (0.3.0 and later) and "ip4"/"ip6" (0.1.0, 0.2.0). */
  static CniResult from(JsonNode result) {
    List<String> ips = new ArrayList<>();
    result.path("ips").forEach(ip -> addAddress(ips, ip.path("address").asText("")));
    addAddress(ips, result.path("ip4").path("ip").asText(""));
    addAddress(ips, result.path("ip6").path("ip").asText(""));
    ips.sort(Comparator.comparing(ip -> ip.contains(":")));
    return new CniResult(ips, result.toString());
  }

  private static void addAddress(List<String> ips, String cidr) {
    if (cidr.isEmpty()) {
      return;
    }
    int slash = cidr.indexOf('/');
    String address = slash < 0 ? cidr : cidr.substring(0, slash);
    if (!ips.contains(address)) {
      ips.add(address);
    }
  }
}

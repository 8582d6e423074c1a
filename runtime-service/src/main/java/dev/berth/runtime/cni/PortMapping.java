package dev.berth.runtime.cni;

import java.util.Locale;

/** One host port forwarded into the pod, as the CRI's PortMapping after validation. */
public record PortMapping(String protocol /* tcp|udp|sctp */, int containerPort, int hostPort, String hostIp) {

  public PortMapping {
    protocol = protocol == null || protocol.isBlank() ? "tcp" : protocol.toLowerCase(Locale.ROOT);
    if (!protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("sctp")) {
      throw new IllegalArgumentException("port mapping protocol must be tcp, udp or sctp: " + protocol);
    }
    if (containerPort < 1 || containerPort > 65535) {
      throw new IllegalArgumentException("port mapping containerPort out of range: " + containerPort);
    }
    if (hostPort < 0 || hostPort > 65535) {
      throw new IllegalArgumentException("port mapping hostPort out of range: " + hostPort);
    }
    hostIp = hostIp == null ? "" : hostIp.strip();
  }
}

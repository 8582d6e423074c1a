package dev.berth.runtime.config;

import java.net.InetSocketAddress;

/** {@code host:port} or {@code [v6]:port} of the streaming server; an IP literal, never a name to resolve. */
public final class StreamingAddress {

  private StreamingAddress() {}

  public static InetSocketAddress parse(String text, String where) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new ConfigException(where + " must be host:port, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ConfigException(where + " has no valid port: '" + text + "'");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(where + " port out of range: '" + text + "'");
    }
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
      throw new ConfigException(where + " must name an IP address, got '" + host + "'");
    }
    return new InetSocketAddress(host, port);
  }
}

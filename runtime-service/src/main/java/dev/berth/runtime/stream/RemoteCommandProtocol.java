package dev.berth.runtime.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The versions of the Kubernetes remote command protocol: which streams a client opens and how
 * the end of a command is written to the error stream (plain text before v4, a
 * {@code metav1.Status} JSON object from v4 on, as the kubelet writes it).
 */
public enum RemoteCommandProtocol {
  V1("channel.k8s.io"),
  V2("v2.channel.k8s.io"),
  V3("v3.channel.k8s.io"),
  V4("v4.channel.k8s.io"),
  /** WebSocket only: adds the close channel (255) so a client can end stdin. */
  V5("v5.channel.k8s.io");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String id;

  RemoteCommandProtocol(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public boolean supportsResize() {
    return compareTo(V3) >= 0;
  }

  /**
   * The first of the client's protocols (in its order of preference) that the transport
   * offers; the kubelet's handshake picks the same way.
   */
  public static Optional<RemoteCommandProtocol> negotiate(List<String> offered, List<RemoteCommandProtocol> supported) {
    for (String candidate : offered) {
      for (String one : candidate.split(",")) {
        for (RemoteCommandProtocol protocol : supported) {
          if (protocol.id.equals(one.trim())) {
            return Optional.of(protocol);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** What to write on the error stream when the command ended this way; empty for nothing. */
  public byte[] status(CommandResult result) {
    if (compareTo(V4) < 0) {
      return switch (result) {
        case CommandResult.Exited exited when exited.code() == 0 -> new byte[0];
        case CommandResult.Exited exited -> nonZeroMessage(exited.code()).getBytes(StandardCharsets.UTF_8);
        case CommandResult.Failed failed -> internalMessage(failed.message()).getBytes(StandardCharsets.UTF_8);
      };
    }
    ObjectNode status = JSON.createObjectNode();
    status.putObject("metadata");
    switch (result) {
      case CommandResult.Exited exited when exited.code() == 0 -> status.put("status", "Success");
      case CommandResult.Exited exited -> {
        status.put("status", "Failure");
        status.put("message", nonZeroMessage(exited.code()));
        status.put("reason", "NonZeroExitCode");
        status.putObject("details").putArray("causes").addObject()
            .put("reason", "ExitCode").put("message", Integer.toString(exited.code()));
      }
      case CommandResult.Failed failed -> {
        status.put("status", "Failure");
        status.put("message", "Internal error occurred: " + internalMessage(failed.message()));
        status.put("reason", "InternalError");
        status.putObject("details").putArray("causes").addObject().put("message", internalMessage(failed.message()));
        status.put("code", 500);
      }
    }
    return status.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String nonZeroMessage(int code) {
    return "command terminated with non-zero exit code: error executing command, exit code " + code;
  }

  private static String internalMessage(String message) {
    return "error executing command in container: " + message;
  }
}

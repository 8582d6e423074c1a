package dev.berth.runtime.stream;

import java.util.List;

/** What a streaming URL was issued for; the token in the URL stands for one of these. */
public sealed interface StreamRequest {

  /** The URL path segment this kind of request is served at. */
  String kind();

  /** Which of stdin, stdout and stderr the client asked for, and whether there is a terminal. */
  record Stdio(boolean stdin, boolean stdout, boolean stderr, boolean tty) {}

  record Exec(String containerId, List<String> cmd, Stdio stdio) implements StreamRequest {
    public Exec {
      cmd = List.copyOf(cmd);
    }

    @Override
    public String kind() {
      return "exec";
    }
  }

  record Attach(String containerId, Stdio stdio) implements StreamRequest {
    @Override
    public String kind() {
      return "attach";
    }
  }

  record PortForward(String sandboxId) implements StreamRequest {
    @Override
    public String kind() {
      return "portforward";
    }
  }
}

package dev.berth.runtime.cli;

import dev.berth.cri.client.CriClient;
import io.grpc.StatusRuntimeException;
import java.util.function.Supplier;

/** Turns a failed CRI call into a one-line message for a person at a terminal. */
final class RemoteCall {

  private RemoteCall() {}

  static <T> T run(CriClient client, Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      throw new CommandFailedException("call to " + client.socket() + " failed: " + e.getStatus().getCode()
          + (e.getStatus().getDescription() != null ? ": " + e.getStatus().getDescription() : ""), e);
    }
  }
}

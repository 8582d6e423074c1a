package dev.berth.runtime.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded connection: the client's data to the pod's port and back. Pipe I/O runs on
 * virtual threads; the protocol handler is told of data, the end, and errors.
 */
final class PortForwardBridge implements PortConnection {
  private static final Logger log = LoggerFactory.getLogger(PortForwardBridge.class);

  /** What the bridge tells the client side. Callable from any thread. */
  interface Client {
    void data(byte[] bytes);

    /** No more data from the port. */
    void end();

    void error(String message);
  }

  private final ExecutorService serial = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("pf-in").factory());
  private volatile PortDialer.Relay relay;

  PortForwardBridge(PortDialer dialer, Optional<Path> netns, String podId, int port, Client client) {
    serial.execute(() -> {
      try {
        relay = dialer.dial(netns, port);
      } catch (IOException | RuntimeException e) {
        client.error("error forwarding port " + port + " to pod " + podId + ": " + e.getMessage());
        client.end();
        return;
      }
      Thread.ofVirtual().name("pf-out-" + port).start(() -> pump(relay, podId, port, client));
    });
  }

  private static void pump(PortDialer.Relay relay, String podId, int port, Client client) {
    byte[] buffer = new byte[32 * 1024];
    try (InputStream in = relay.fromPort()) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        client.data(java.util.Arrays.copyOf(buffer, n));
      }
    } catch (IOException e) {
      log.debug("port forward {}: {}", port, e.toString());
    }
    try {
      int code = relay.process().waitFor();
      if (code != 0) {
        String why = new String(relay.process().getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        client.error("error forwarding port " + port + " to pod " + podId + ": " + (why.isEmpty() ? "exit " + code : why));
      }
    } catch (IOException e) {
      log.debug("port forward {}: {}", port, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.end();
  }

  @Override
  public void write(byte[] data) {
    submit(out -> {
      try {
        out.write(data);
        out.flush();
      } catch (IOException e) {
        log.debug("port forward write: {}", e.toString());
      }
    });
  }

  /** The client sent all it will: the port sees end of stream. */
  @Override
  public void closeInput() {
    submit(out -> {
      try {
        out.close();
      } catch (IOException e) {
        log.debug("port forward close: {}", e.toString());
      }
    });
  }

  /** The client is gone: end the relay. */
  @Override
  public void close() {
    try {
      serial.execute(() -> {
        if (relay != null) {
          relay.process().destroyForcibly();
        }
      });
      serial.shutdown();
    } catch (RejectedExecutionException e) {
      // Already closed.
    }
  }

  private void submit(Consumer<OutputStream> task) {
    try {
      serial.execute(() -> {
        if (relay != null) {
          task.accept(relay.toPort());
        }
      });
    } catch (RejectedExecutionException e) {
      // Already closed.
    }
  }
}

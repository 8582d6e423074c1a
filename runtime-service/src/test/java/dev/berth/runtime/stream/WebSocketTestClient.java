package dev.berth.runtime.stream;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A test client for the streaming server speaking the k8s WebSocket channel protocol (binary
 * form) with the JDK's WebSocket: collects what arrives per channel and the first message of
 * each channel apart.
 */
final class WebSocketTestClient implements AutoCloseable {
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<Integer, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
  private final Map<Integer, byte[]> first = new ConcurrentHashMap<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private WebSocket socket;

  /** Opens the WebSocket; returns the HTTP status (101 on success). */
  int connect(String url, List<String> subprotocols) {
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (!subprotocols.isEmpty()) {
      builder.subprotocols(subprotocols.getFirst(), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
    }
    try {
      socket = builder.buildAsync(URI.create(url.replaceFirst("^http", "ws")), new Listener()).join();
      return 101;
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException refused) {
        return refused.getResponse().statusCode();
      }
      throw e;
    }
  }

  String subprotocol() {
    return socket.getSubprotocol();
  }

  private final class Listener implements WebSocket.Listener {
    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      synchronized (partial) {
        partial.writeBytes(bytes);
        if (last) {
          byte[] message = partial.toByteArray();
          partial.reset();
          if (message.length > 0) {
            int channel = message[0] & 0xFF;
            byte[] payload = Arrays.copyOfRange(message, 1, message.length);
            first.putIfAbsent(channel, payload);
            ByteArrayOutputStream stream = received.computeIfAbsent(channel, c -> new ByteArrayOutputStream());
            synchronized (stream) {
              stream.writeBytes(payload);
              stream.notifyAll();
            }
          }
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }

  void send(int channel, byte[] data) {
    ByteBuffer message = ByteBuffer.allocate(1 + data.length).put((byte) channel).put(data).flip();
    socket.sendBinary(message, true).join();
  }

  /**
   * Sends the message unless that takes longer than {@code timeout} (the server stopped reading
   * and the TCP window closed); returns whether it was sent.
   */
  boolean trySend(int channel, byte[] data, Duration timeout) throws Exception {
    ByteBuffer message = ByteBuffer.allocate(1 + data.length).put((byte) channel).put(data).flip();
    try {
      socket.sendBinary(message, true).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException stalled) {
      return false;
    }
  }

  /** Whether the server has closed the connection. */
  boolean isClosed() {
    return closed.isDone();
  }

  void send(int channel, String text) {
    send(channel, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Everything received on the channel so far. */
  String text(int channel) {
    ByteArrayOutputStream stream = received.get(channel);
    if (stream == null) {
      return "";
    }
    synchronized (stream) {
      return stream.toString(StandardCharsets.UTF_8);
    }
  }

  byte[] firstMessage(int channel) {
    return first.get(channel);
  }

  /** Waits until the channel's text contains {@code expected}; returns all of it. */
  String awaitText(int channel, String expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!text(channel).contains(expected)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("channel " + channel + " never showed " + expected + "; got " + text(channel));
      }
      Thread.sleep(20);
    }
    return text(channel);
  }

  /** Waits for the server's close; returns its status code. */
  int awaitClosed(Duration timeout) throws Exception {
    return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (socket != null) {
      socket.abort();
    }
  }
}

package dev.berth.runtime.stream;

/** A client broke the streaming protocol; the connection is closed with a log line naming why. */
public final class StreamProtocolException extends RuntimeException {
  public StreamProtocolException(String message) {
    super(message);
  }
}

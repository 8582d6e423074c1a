package dev.berth.runtime.stream;

/**
 * One message of the Kubernetes WebSocket channel protocol: the channel number (a stream of a
 * remote command, a port's data or error stream, or 255 for the v5 close signal) and its
 * payload.
 */
record ChannelMessage(int channel, byte[] data) {
  /** The v5 signal that the client is done writing to the channel named in the payload. */
  static final int CLOSE = 255;

  ChannelMessage {
    if (channel < 0 || channel > 255) {
      throw new IllegalArgumentException("channel " + channel + " is not a byte");
    }
  }
}

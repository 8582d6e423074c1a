package dev.berth.runtime.stream;

import dev.berth.shim.AttachConnection;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies what conmon sends on an attach connection to the client until end of stream. A
 * platform thread: the read is a native call, which would pin a virtual thread's carrier for
 * as long as the process stays quiet.
 */
final class OutputPump {
  private static final Logger log = LoggerFactory.getLogger(OutputPump.class);

  private OutputPump() {}

  static Thread start(String name, AttachConnection connection, CommandOutput output, Runnable atEnd) {
    return Thread.ofPlatform().daemon().name(name).start(() -> {
      try {
        AttachConnection.Output packet;
        while ((packet = connection.read()) != null) {
          if (packet.stream() == AttachConnection.STDERR) {
            output.stderr(packet.data());
          } else {
            output.stdout(packet.data());
          }
        }
      } catch (IOException e) {
        log.debug("{}: {}", name, e.toString());
      } finally {
        atEnd.run();
      }
    });
  }
}

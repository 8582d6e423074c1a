package dev.berth.runtime.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** "/dev/vda" for 254:0, from /sys/dev/block/MAJ:MIN/uevent, looked up once per device. */
final class BlockDeviceNames {

  private final Path sysDevBlock;
  private final ConcurrentHashMap<String, String> names = new ConcurrentHashMap<>();

  BlockDeviceNames(Path sysDevBlock) {
    this.sysDevBlock = sysDevBlock;
  }

  String name(int major, int minor) {
    return names.computeIfAbsent(major + ":" + minor, this::lookUp);
  }

  private String lookUp(String device) {
    try {
      for (String line : Files.readAllLines(sysDevBlock.resolve(device).resolve("uevent"))) {
        if (line.startsWith("DEVNAME=")) {
          return "/dev/" + line.substring("DEVNAME=".length());
        }
      }
    } catch (IOException e) {
      // A device without a sysfs entry keeps its numbers as its name.
    }
    return device;
  }
}

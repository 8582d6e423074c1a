package dev.berth.runtime.cgroup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Block I/O counters per device, gathered from v1 blkio files or v2 io.stat. */
final class BlkioFiles {

  /** Per device ("MAJ:MIN"), per stat kind, per operation. */
  private final Map<String, Map<String, Map<String, Long>>> devices = new TreeMap<>();

  /** v1 "MAJ:MIN Operation value" lines; the final "Total N" line has no device and is skipped. */
  void addV1(String kind, String text) {
    if (text == null) {
      return;
    }
    CgroupFiles.eachLine(text, (line, unused) -> {
      String[] fields = line.split(" ");
      if (fields.length == 3 && fields[0].indexOf(':') > 0) {
        put(fields[0], kind, fields[1], Long.parseLong(fields[2]));
      }
    });
  }

  /** v2 io.stat: "MAJ:MIN rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6". */
  void addV2(String text) {
    CgroupFiles.eachLine(text, (line, unused) -> {
      String[] fields = line.split(" ");
      long bytes = 0;
      long ios = 0;
      for (int i = 1; i < fields.length; i++) {
        int eq = fields[i].indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = fields[i].substring(0, eq);
        long value = Long.parseLong(fields[i].substring(eq + 1));
        String op = switch (key.charAt(0)) {
          case 'r' -> "Read";
          case 'w' -> "Write";
          case 'd' -> "Discard";
          default -> null;
        };
        if (op == null) {
          continue;
        }
        if (key.endsWith("bytes")) {
          put(fields[0], "bytes", op, value);
          bytes += value;
        } else if (key.endsWith("ios")) {
          put(fields[0], "ios", op, value);
          ios += value;
        }
      }
      // v1 reports Total = Read + Write + Discard; v2 leaves the sum to us.
      put(fields[0], "bytes", "Total", bytes);
      put(fields[0], "ios", "Total", ios);
    });
  }

  private void put(String device, String kind, String op, long value) {
    devices.computeIfAbsent(device, d -> new HashMap<>()).computeIfAbsent(kind, k -> new HashMap<>()).put(op, value);
  }

  List<CgroupStats.BlockDevice> devices() {
    return devices.entrySet().stream().map(entry -> {
      String[] numbers = entry.getKey().split(":");
      Map<String, Map<String, Long>> kinds = entry.getValue();
      return new CgroupStats.BlockDevice(Integer.parseInt(numbers[0]), Integer.parseInt(numbers[1]),
          kinds.getOrDefault("bytes", Map.of()), kinds.getOrDefault("ios", Map.of()),
          kinds.getOrDefault("queued", Map.of()), kinds.getOrDefault("service", Map.of()),
          kinds.getOrDefault("wait", Map.of()));
    }).toList();
  }
}

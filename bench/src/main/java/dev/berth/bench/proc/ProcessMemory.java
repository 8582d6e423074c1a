package dev.berth.bench.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Resident memory of processes from /proc. RSS is what the issue asks for; PSS is reported beside
 * it because shims share most of their pages (the same binary and libraries), so a sum of RSS
 * counts those pages once per shim while PSS splits them.
 */
public final class ProcessMemory {

  /** Kilobytes of one process. */
  public record Usage(long pid, long rssKb, long pssKb) {}

  private static final Path PROC = Path.of("/proc");

  private ProcessMemory() {}

  public static Usage usage(long pid) {
    Path dir = PROC.resolve(Long.toString(pid));
    return new Usage(pid, field(dir.resolve("status"), "VmRSS:").orElse(0),
        field(dir.resolve("smaps_rollup"), "Pss:").orElse(0));
  }

  /** Processes whose argv[0] has this basename and whose command line contains the marker. */
  public static List<Long> find(String executable, String marker) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(PROC)) {
      for (Path dir : entries.toList()) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String[] argv = commandLine(dir);
        if (argv.length == 0 || !Path.of(argv[0]).getFileName().toString().equals(executable)) {
          continue;
        }
        if (marker == null || String.join(" ", argv).contains(marker)) {
          pids.add(Long.parseLong(name));
        }
      }
    }
    return pids;
  }

  private static String[] commandLine(Path dir) {
    try {
      String raw = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8);
      return raw.isEmpty() ? new String[0] : raw.split("\0");
    } catch (IOException e) {
      return new String[0]; // gone since the listing, or a kernel thread
    }
  }

  private static OptionalLong field(Path file, String prefix) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(prefix)) {
          return OptionalLong.of(Long.parseLong(line.substring(prefix.length()).trim().split("\\s+")[0]));
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty(); // the process exited between listing and reading
    }
    return OptionalLong.empty();
  }
}

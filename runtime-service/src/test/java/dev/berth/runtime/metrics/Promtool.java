package dev.berth.runtime.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code promtool check metrics} (package prometheus, installed by bin/lib/host-packages.sh):
 * the Prometheus project's own parser and linter of a scrape.
 */
final class Promtool {

  private static final String PROMTOOL = "/usr/bin/promtool";

  /** promtool's verdict: its exit code (0 clean, 1 unparsable, 3 lint problems) and each problem line. */
  record Result(int exitCode, List<String> problems) {}

  private Promtool() {}

  static Result checkMetrics(byte[] scrape) throws IOException, InterruptedException {
    Process promtool = new ProcessBuilder(PROMTOOL, "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream in = promtool.getOutputStream()) {
      in.write(scrape);
    } catch (IOException exited) {
      // Reported below with promtool's own output.
    }
    String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!promtool.waitFor(60, TimeUnit.SECONDS)) {
      promtool.destroyForcibly();
      throw new AssertionError("promtool check metrics did not finish");
    }
    return new Result(promtool.exitValue(), output.lines().filter(line -> !line.isBlank()).toList());
  }
}
